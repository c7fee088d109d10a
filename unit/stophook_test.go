package unit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/golden"
)

// goldenHooks are the stop hooks whose rendered units are kept under
// testdata/golden; the verify, deserializer and lint tests run on all of
// them.
var goldenHooks = []struct {
	name string
	cfg  StopHookConfig
}{
	{"canonical", StopHookConfig{
		Name:   "NAME",
		Stop:   []string{"/mnt/shared/bin/deregister"},
		Mounts: []string{"/mnt/shared"},
	}},
	{"minimal", StopHookConfig{
		Name: "deregister",
		Stop: []string{"/usr/local/bin/deregister"},
	}},
	{"register-every-boot", StopHookConfig{
		Name:             "cluster-member.service",
		Start:            []string{"/opt/cluster/bin/member", "register", "--label", "load<50%"},
		Stop:             []string{"/opt/cluster/bin/member", "deregister", "--timeout", "50s"},
		Mounts:           []string{"/opt/cluster", "/mnt/shared data", "/opt/cluster"},
		Timeout:          75 * time.Second,
		EnvironmentFile:  "/etc/cluster/member.env",
		User:             "cluster",
		Description:      "Cluster membership (100% automatic)",
		ResolvesNames:    true,
		RefuseManualStop: true,
	}},
	{"quoting", StopHookConfig{
		Name: "quoting",
		Stop: []string{"/usr/bin/curl", "--max-time", "20", "-d", `{"state": "gone", "at": "$(date +%s)"}`, "https://192.0.2.1/deregister?a=1&b=2", "", ";", `back\slash`, "tab\there"},
	}},
}

func TestStopHookGolden(t *testing.T) {
	for _, g := range goldenHooks {
		t.Run(g.name, func(t *testing.T) {
			h, err := StopHook(g.cfg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := h.Unit.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/golden/"+g.name+".service", b)
			again, _ := StopHook(g.cfg)
			b2, _ := again.Unit.Marshal()
			if !bytes.Equal(b, b2) {
				t.Errorf("StopHook is not deterministic:\n%s\n---\n%s", b, b2)
			}
		})
	}
}

// TestStopHookCanonical checks the default output against the unit written
// out in STOPHOOK.md, independently of the golden file.
func TestStopHookCanonical(t *testing.T) {
	h, err := StopHook(StopHookConfig{Name: "NAME", Stop: []string{"/mnt/shared/bin/deregister"}, Mounts: []string{"/mnt/shared"}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `[Unit]
Description=Deregister NAME at shutdown
Wants=network-online.target
After=network-online.target network.target remote-fs.target
RequiresMountsFor=/mnt/shared

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/mnt/shared/bin/deregister
TimeoutStopSec=60
EnvironmentFile=-/etc/default/NAME
SyslogIdentifier=NAME

[Install]
WantedBy=multi-user.target
`
	got, err := h.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("canonical unit mismatch (-want +got):\n%s", diff)
	}
	if h.Name != "NAME.service" || h.Path != "/etc/systemd/system/NAME.service" {
		t.Errorf("Name, Path = %q, %q", h.Name, h.Path)
	}
	wantArm := [][]string{{"systemctl", "daemon-reload"}, {"systemctl", "enable", "--now", "--no-block", "NAME.service"}}
	if diff := cmp.Diff(wantArm, h.Arm); diff != "" {
		t.Errorf("Arm mismatch (-want +got):\n%s", diff)
	}
}

func TestStopHookErrors(t *testing.T) {
	stop := []string{"/usr/bin/x"}
	tests := []struct {
		name string
		cfg  StopHookConfig
		want string
	}{
		{"no name", StopHookConfig{Stop: stop}, "unit: stop hook: Name: is empty"},
		{"name with slash", StopHookConfig{Name: "a/b", Stop: stop}, "Name: \"a/b\" has character '/'"},
		{"name with space", StopHookConfig{Name: "a b", Stop: stop}, "Name: \"a b\" has character ' '"},
		{"template name", StopHookConfig{Name: "a@.service", Stop: stop}, "has character '@'"},
		{"name starting with dash", StopHookConfig{Name: "-a", Stop: stop}, "starts with '-'"},
		{"name too long", StopHookConfig{Name: strings.Repeat("a", 250), Stop: stop}, "over systemd's 255"},
		{"no stop", StopHookConfig{Name: "x"}, "Stop: is empty"},
		{"relative stop", StopHookConfig{Name: "x", Stop: []string{"deregister"}}, "Stop: unit: exec: program \"deregister\" is not an absolute path"},
		{"relative start", StopHookConfig{Name: "x", Stop: stop, Start: []string{"./r"}}, "Start: unit: exec: program"},
		{"timeout too long", StopHookConfig{Name: "x", Stop: stop, Timeout: 91 * time.Second}, "Timeout: 1m31s: give a whole number of seconds from 1s to 1m30s"},
		{"timeout negative", StopHookConfig{Name: "x", Stop: stop, Timeout: -time.Second}, "Timeout: -1s"},
		{"timeout fractional", StopHookConfig{Name: "x", Stop: stop, Timeout: 1500 * time.Millisecond}, "Timeout: 1.5s"},
		{"relative mount", StopHookConfig{Name: "x", Stop: stop, Mounts: []string{"mnt"}}, "Mounts[0]: \"mnt\": give a normalized absolute path such as \"/mnt\""},
		{"unclean mount", StopHookConfig{Name: "x", Stop: stop, Mounts: []string{"/a", "/mnt/../etc"}}, "Mounts[1]"},
		{"newline in mount", StopHookConfig{Name: "x", Stop: stop, Mounts: []string{"/mnt\n[Service]"}}, "Mounts[0]"},
		{"relative env file", StopHookConfig{Name: "x", Stop: stop, EnvironmentFile: "-etc/x"}, "EnvironmentFile: \"-etc/x\""},
		{"env file with space", StopHookConfig{Name: "x", Stop: stop, EnvironmentFile: "/etc/a b"}, "EnvironmentFile"},
		{"bad user", StopHookConfig{Name: "x", Stop: stop, User: "root\nExecStart=/bin/evil"}, "unit: stop hook: User:"},
		{"description newline", StopHookConfig{Name: "x", Stop: stop, Description: "a\n[Install]"}, "unit: stop hook: Description: value contains a newline"},
		{"argument with nul", StopHookConfig{Name: "x", Stop: []string{"/bin/x", "a\x00"}}, "argument 1: \"a\\x00\" contains a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := StopHook(tt.cfg)
			if err == nil {
				b, _ := h.Unit.Marshal()
				t.Fatalf("StopHook succeeded:\n%s", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StopHook error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestStopHookOptions(t *testing.T) {
	h, err := StopHook(goldenHooks[2].cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := h.Unit
	checks := []struct{ section, key, want string }{
		{"Unit", "Description", "Cluster membership (100%% automatic)"},
		{"Unit", "RequiresMountsFor", `/opt/cluster "/mnt/shared data"`},
		{"Unit", "After", "network-online.target network.target remote-fs.target nss-lookup.target"},
		{"Service", "ExecStart", "/opt/cluster/bin/member register --label load<50%%"},
		{"Service", "TimeoutStopSec", "75"},
		{"Service", "EnvironmentFile", "/etc/cluster/member.env"},
		{"Service", "User", "cluster"},
		{"Service", "SyslogIdentifier", "cluster-member"},
	}
	for _, c := range checks {
		if got := u.Values(c.section, c.key); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s %s = %q, want [%q]", c.section, c.key, got, c.want)
		}
	}
	if h.Name != "cluster-member.service" {
		t.Errorf("Name = %q", h.Name)
	}
}

// Check reports every problem at once, each tagged with its field, and
// StopHook's error carries them for errors.As.
func TestStopHookCheckFields(t *testing.T) {
	c := StopHookConfig{Name: "a/b", Stop: []string{"relative"}, Timeout: 91 * time.Second, Mounts: []string{"/ok", "mnt"}, User: "x y"}
	var fields []string
	for _, d := range c.Check() {
		if d.Rule != RuleStopHookConfig || d.Severity != diag.Error {
			t.Errorf("%v: rule or severity", d)
		}
		fields = append(fields, d.Path)
	}
	if got, want := strings.Join(fields, ","), "Name,Stop,Timeout,Mounts[1],User"; got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
	_, err := StopHook(c)
	var se *StopHookError
	if !errors.As(err, &se) || len(se.Problems) != 5 {
		t.Errorf("StopHook error %v: not a *StopHookError with 5 problems", err)
	}
	if (StopHookConfig{Name: "ok", Stop: []string{"/bin/true"}}).Check() != nil {
		t.Error("a good config has problems")
	}
}
