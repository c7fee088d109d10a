package realtools

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const goodUnit = `[Unit]
Description=Deregister test at shutdown
Wants=network-online.target
After=network-online.target network.target remote-fs.target
RequiresMountsFor=/mnt/udkit-test

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/mnt/udkit-test/bin/deregister
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
`

// TestSystemdVerify proves the checker discriminates: the good unit (whose
// ExecStop program exists only as a stub) passes with no output, and each
// broken variant fails with the message systemd-analyze gives.
func TestSystemdVerify(t *testing.T) {
	t.Logf("judge: %s", Judge(t))
	tests := []struct {
		name string
		unit string
		want string // "" for a pass, else a substring of the output
	}{
		{"good unit with stubbed ExecStop", goodUnit, ""},
		{"unknown key is only a warning but fails", strings.Replace(goodUnit, "TimeoutStopSec=60", "TimeoutStopSecs=60", 1), "Unknown key 'TimeoutStopSecs' in section [Service]"},
		// systemd 252: "Failed to parse service type, ignoring: oneshott";
		// 257: "Failed to parse Type=oneshott, ignoring: Invalid argument".
		{"bad Type value", strings.Replace(goodUnit, "Type=oneshot", "Type=oneshott", 1), "oneshott"},
		{"relative ExecStop", strings.Replace(goodUnit, "ExecStop=/mnt/udkit-test/bin/deregister", "ExecStop=udkit-no-such-program", 1), "udkit-no-such-program"},
		{"unknown specifier", strings.Replace(goodUnit, "ExecStop=/mnt/udkit-test/bin/deregister", "ExecStop=/mnt/udkit-test/bin/deregister +%z", 1), "%z"},
		{"misspelt section", strings.Replace(goodUnit, "[Install]", "[Instal]", 1), "Unknown section 'Instal'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SystemdVerify(t, "udkit-test.service", []byte(tt.unit))
			if tt.want == "" {
				if got != "" {
					t.Errorf("systemd-analyze verify printed, want nothing:\n%s", got)
				}
				return
			}
			if got == "" {
				t.Fatalf("systemd-analyze verify passed a broken unit; want output containing %q", tt.want)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("systemd-analyze verify output = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestMissingExecPaths(t *testing.T) {
	text := `[Service]
ExecStart=/bin/true
ExecStartPre=-/opt/udkit-none/pre arg
ExecStop="@/opt/udkit-none/my app" app
ExecStopPost=/opt/udkit-none/100%%/post
ExecReload=relative
Exec=/opt/udkit-none/pre
NotExec=/opt/udkit-none/x
`
	want := []string{"/opt/udkit-none/pre", "/opt/udkit-none/my app", "/opt/udkit-none/100%/post"}
	if diff := cmp.Diff(want, MissingExecPaths([]byte(text))); diff != "" {
		t.Errorf("MissingExecPaths mismatch (-want +got):\n%s", diff)
	}
}

func TestSystemdCommandLines(t *testing.T) {
	text := "[Service]\nType=oneshot\n" +
		`ExecStart=/bin/echo "a b" c\\d "say \"hi\"" $$HOME 100%% \n ";" tab\tx "a\x01b" héllo ""` + "\n" +
		"ExecStop=-/bin/echo one\nExecStop=/bin/echo two\n"
	got := SystemdCommandLines(t, "udkit-cmdline.service", []byte(text))
	want := map[string][][]string{
		"ExecStart": {{"/bin/echo", "a b", `c\d`, `say "hi"`, "$$HOME", "100%", "\n", ";", "tab\tx", "a\x01b", "héllo", ""}},
		"ExecStop":  {{"/bin/echo", "one"}, {"/bin/echo", "two"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SystemdCommandLines mismatch (-want +got):\n%s", diff)
	}
}

func TestSplitSystemdCommandLine(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		bad      bool
	}{
		{"plain", "/bin/echo a b", []string{"/bin/echo", "a", "b"}, false},
		{"quoted", `/bin/echo "a b" "" "\$\$X" "\"\\\` + "`" + `"`, []string{"/bin/echo", "a b", "", "$$X", "\"\\`"}, false},
		{"c escapes", `/bin/echo "\n\t\001\x7f"`, []string{"/bin/echo", "\n\t\x01\x7f"}, false},
		{"unterminated", `/bin/echo "a`, nil, true},
		{"unknown escape", `/bin/echo "\q"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitSystemdCommandLine(tt.in)
			if tt.bad {
				if err == nil {
					t.Errorf("SplitSystemdCommandLine(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
