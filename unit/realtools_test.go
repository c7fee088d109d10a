package unit

import (
	"bytes"
	"github.com/udkit/udkit/diag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	sdunit "github.com/coreos/go-systemd/v22/unit"
	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/internal/realtools"
)

func goldenUnits(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.service")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden units in testdata/golden (%v); run go test -run TestStopHookGolden -update", err)
	}
	return files
}

// TestGoldenSystemdVerify runs the real systemd-analyze verify on every
// golden unit: no output at all is allowed. The checker's ability to fail
// is proved in internal/realtools and by the broken unit below.
func TestGoldenSystemdVerify(t *testing.T) {
	for _, f := range goldenUnits(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if out := realtools.SystemdVerify(t, filepath.Base(f), text); out != "" {
				t.Errorf("systemd-analyze verify %s:\n%s", f, out)
			}
		})
	}
	t.Run("broken unit fails", func(t *testing.T) {
		text, err := os.ReadFile("testdata/golden/canonical.service")
		if err != nil {
			t.Fatal(err)
		}
		broken := bytes.Replace(text, []byte("TimeoutStopSec=60"), []byte("TimeoutStopSec=sixty"), 1)
		if out := realtools.SystemdVerify(t, "NAME.service", broken); !strings.Contains(out, "sixty") {
			t.Errorf("systemd-analyze verify accepted TimeoutStopSec=sixty; output %q", out)
		}
	})
}

// TestGoldenDeserialize checks that go-systemd's independent parser reads
// every golden unit to the same options as Parse.
func TestGoldenDeserialize(t *testing.T) {
	for _, f := range goldenUnits(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkDeserialize(t, text)
		})
	}
}

// checkDeserialize compares Parse with go-systemd's DeserializeOptions.
func checkDeserialize(t *testing.T, text []byte) {
	t.Helper()
	u, err := Parse(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := sdunit.DeserializeOptions(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("go-systemd DeserializeOptions: %v", err)
	}
	var want, got []string
	for _, o := range theirs {
		want = append(want, o.Section+"|"+o.Name+"|"+o.Value)
	}
	for _, s := range u.Sections {
		for _, o := range s.Options {
			got = append(got, s.Name+"|"+o.Key+"|"+o.Value)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse and go-systemd disagree (-go-systemd +Parse):\n%s", diff)
	}
}

// TestEscapePathSystemdEscape compares EscapePath with the real
// systemd-escape --path, for accepted and refused paths.
func TestEscapePathSystemdEscape(t *testing.T) {
	bin := realtools.Require(t, "systemd-escape")
	for _, tt := range escapeCases {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "--path", "--", tt.in)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			got, err := EscapePath(tt.in)
			if runErr != nil {
				if err == nil {
					t.Errorf("systemd-escape --path %q failed (%v: %s) but EscapePath = %q", tt.in, runErr, stderr.String(), got)
				}
				return
			}
			if err != nil {
				t.Fatalf("EscapePath(%q): %v; systemd-escape gives %q", tt.in, err, stdout.String())
			}
			if want := strings.TrimSuffix(stdout.String(), "\n"); got != want {
				t.Errorf("EscapePath(%q) = %q, systemd-escape --path = %q", tt.in, got, want)
			}
		})
	}
}

// TestLintGoodCasesSystemdVerify runs the real systemd-analyze verify on
// the passing variant of every lint case: the fixes Lint suggests must be
// units systemd accepts without a word.
func TestLintGoodCasesSystemdVerify(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range lintCases {
		if seen[tt.good] {
			continue
		}
		seen[tt.good] = true
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			if out := realtools.SystemdVerify(t, "web.service", []byte(tt.good)); out != "" {
				t.Errorf("systemd-analyze verify:\n%s\nunit:\n%s", out, tt.good)
			}
		})
	}
}

// TestSpecifiersSystemd checks knownSpecifiers against systemd-analyze:
// every known letter resolves without a word; every other letter or digit
// makes verify fail (or, for the deprecated %c, %r and %R, warn), as
// percent-unknown says.
func TestSpecifiersSystemd(t *testing.T) {
	var known strings.Builder
	known.WriteString("[Service]\nType=oneshot\nExecStart=/bin/true\n")
	for _, c := range knownSpecifiers {
		known.WriteString("ExecStartPre=/bin/echo %" + string(c) + "\n")
	}
	if out := realtools.SystemdVerify(t, "spec.service", []byte(known.String())); out != "" {
		t.Errorf("known specifiers: systemd-analyze verify:\n%s", out)
	}
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		if strings.ContainsRune(knownSpecifiers, c) {
			continue
		}
		text := "[Service]\nType=oneshot\nExecStart=/bin/echo %" + string(c) + "\n"
		if out := realtools.SystemdVerify(t, "spec.service", []byte(text)); !strings.Contains(out, "Failed to resolve unit specifiers") && !strings.Contains(out, "deprecated") {
			t.Errorf("%%%c: systemd-analyze verify = %q, want a specifier error as percent-unknown claims", c, out)
		}
		if d := Lint(mustParse(t, text)); !hasRule(d, "percent-unknown") {
			t.Errorf("%%%c: Lint did not report percent-unknown: %v", c, d)
		}
	}
}

func hasRule(diags diag.List, rule string) bool {
	for _, d := range diags {
		if d.Rule == rule {
			return true
		}
	}
	return false
}

// TestExecSystemd loads every Exec quoting case into the real systemd (in
// test mode) and checks the argv it builds: the path and arguments we
// asked for, with "$" still doubled where Exec doubled it (systemd turns
// "$$" into "$" only when it runs the command, after the dump).
func TestExecSystemd(t *testing.T) {
	var text strings.Builder
	text.WriteString("[Service]\nType=oneshot\nExecStart=/bin/true\n")
	var want [][]string
	for _, tt := range execCases {
		v, err := Exec(tt.argv, tt.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		text.WriteString("ExecStartPre=" + v + "\n")
		var c execConfig
		for _, o := range tt.opts {
			o.apply(&c)
		}
		argv := append([]string(nil), tt.argv...)
		if c.argv0 != nil {
			argv[0] = *c.argv0
		}
		if !c.expand {
			for i := range argv {
				argv[i] = strings.ReplaceAll(argv[i], "$", "$$")
			}
		}
		want = append(want, argv)
	}
	got := realtools.SystemdCommandLines(t, "exec-cases.service", []byte(text.String()))
	if diff := cmp.Diff(want, got["ExecStartPre"]); diff != "" {
		t.Errorf("systemd's argv differs from the one given to Exec (-want +got):\n%s\nunit:\n%s", diff, text.String())
	}
}

// TestStopHookSystemdArgv checks that systemd reads the ExecStart= and
// ExecStop= of every golden hook as exactly the configured argv.
func TestStopHookSystemdArgv(t *testing.T) {
	for _, g := range goldenHooks {
		t.Run(g.name, func(t *testing.T) {
			h, err := StopHook(g.cfg)
			if err != nil {
				t.Fatal(err)
			}
			text, err := h.Unit.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			dollars := func(argv []string) []string {
				var out []string
				for _, a := range argv {
					out = append(out, strings.ReplaceAll(a, "$", "$$"))
				}
				return out
			}
			start := g.cfg.Start
			if start == nil {
				start = []string{"/bin/true"}
			}
			want := map[string][][]string{"ExecStart": {dollars(start)}, "ExecStop": {dollars(g.cfg.Stop)}}
			if diff := cmp.Diff(want, realtools.SystemdCommandLines(t, h.Name, text)); diff != "" {
				t.Errorf("systemd's argv differs from the configuration (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStopHookSystemdDump checks what the real systemd loads from each
// golden hook, property by property.
func TestStopHookSystemdDump(t *testing.T) {
	common := []string{
		"Wants: network-online.target (origin-file)",
		"After: network-online.target (origin-file)",
		"After: network.target (origin-file)",
		"After: remote-fs.target (origin-file)",
		"Conflicts: shutdown.target (origin-default)",
		"Before: shutdown.target (origin-default)",
		"Type: oneshot",
		"RemainAfterExit: yes",
	}
	want := map[string][]string{
		"canonical": {
			"RefuseManualStop: no",
			"Description: Deregister NAME at shutdown",
			"RequiresMountsFor: /mnt/shared (origin-file)",
			"TimeoutStopSec: 1min",
			"EnvironmentFile: -/etc/default/NAME",
		},
		"minimal": {
			"TimeoutStartSec: infinity", // the oneshot default behind timeout-start-missing
			"Description: Deregister deregister at shutdown",
			"TimeoutStopSec: 1min",
			"EnvironmentFile: -/etc/default/deregister",
		},
		"register-every-boot": {
			"Description: Cluster membership (100% automatic)",
			"After: nss-lookup.target (origin-file)",
			"RefuseManualStop: yes",
			"RequiresMountsFor: /opt/cluster (origin-file)",
			"RequiresMountsFor: /mnt/shared data (origin-file)",
			"TimeoutStartSec: 1min 15s",
			"TimeoutStopSec: 1min 15s",
			"EnvironmentFile: /etc/cluster/member.env",
			"User: cluster",
		},
		"quoting": {
			"Description: Deregister quoting at shutdown",
			"TimeoutStopSec: 1min",
		},
	}
	for _, g := range goldenHooks {
		t.Run(g.name, func(t *testing.T) {
			h, err := StopHook(g.cfg)
			if err != nil {
				t.Fatal(err)
			}
			text, err := h.Unit.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			dump := realtools.SystemdDump(t, h.Name, text)
			have := map[string]bool{}
			for _, l := range dump {
				have[l] = true
			}
			lines, ok := want[g.name]
			if !ok {
				t.Fatalf("no expected dump lines for golden hook %s", g.name)
			}
			for _, l := range append(append([]string(nil), common...), lines...) {
				if !have[l] {
					t.Errorf("systemd's dump of %s lacks %q", h.Name, l)
				}
			}
			if t.Failed() {
				t.Logf("dump:\n%s", strings.Join(dump, "\n"))
			}
		})
	}
}

// TestRequiresMountsForSystemd checks that systemd reads the paths StopHook
// writes into RequiresMountsFor= as given, however odd, and that the \x20
// form really is misread, as the mounts-x20 rule says.
func TestRequiresMountsForSystemd(t *testing.T) {
	mounts := []string{"/mnt/shared data", `/opt/a"b`, `/opt/back\slash`, "/opt/100%", "/opt/it's"}
	h, err := StopHook(StopHookConfig{Name: "mounts", Stop: []string{"/usr/bin/true"}, Mounts: mounts})
	if err != nil {
		t.Fatal(err)
	}
	text, err := h.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range realtools.SystemdDump(t, h.Name, text) {
		if p, ok := strings.CutPrefix(l, "RequiresMountsFor: "); ok {
			got = append(got, strings.TrimSuffix(p, " (origin-file)"))
		}
	}
	if diff := cmp.Diff(sorted(mounts), sorted(got)); diff != "" {
		t.Errorf("systemd's RequiresMountsFor differs (-want +got):\n%s\nunit:\n%s", diff, text)
	}

	x20 := "[Unit]\nRequiresMountsFor=/mnt/shared\\x20data\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
	dump := realtools.SystemdDump(t, "x20.service", []byte(x20))
	if !containsLine(dump, "RequiresMountsFor: /mnt/sharedx20data (origin-file)") {
		t.Errorf("systemd no longer reads \\x20 as x20; revisit the mounts-x20 rule. dump:\n%s", strings.Join(dump, "\n"))
	}
	if !hasRule(Lint(mustParse(t, x20)), "mounts-x20") {
		t.Error("Lint did not report mounts-x20")
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func containsLine(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

// TestListResetsSystemd backs the linter's reading of repeated options: an
// empty After= or RequiresMountsFor= does not reset the list (an ordering
// or mount before it still counts), an empty ExecStop= does, and the later
// of TimeoutStopSec= and TimeoutSec= wins.
func TestListResetsSystemd(t *testing.T) {
	mounts := "[Unit]\nRequiresMountsFor=/mnt/shared\nRequiresMountsFor=\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n" +
		"ExecStop=/bin/echo old\nExecStop=\nExecStop=/mnt/shared/bin/deregister\n"
	dump := realtools.SystemdDump(t, "mounts.service", []byte(mounts))
	if !containsLine(dump, "RequiresMountsFor: /mnt/shared (origin-file)") {
		t.Errorf("systemd dropped RequiresMountsFor=/mnt/shared after an empty one; revisit the linter. dump:\n%s", strings.Join(dump, "\n"))
	}
	if got := realtools.SystemdCommandLines(t, "mounts.service", []byte(mounts))["ExecStop"]; !cmp.Equal(got, [][]string{{"/mnt/shared/bin/deregister"}}) {
		t.Errorf("ExecStop after a reset = %q, want only the deregister command", got)
	}
	for _, d := range Lint(mustParse(t, mounts)) {
		if d.Rule == "exec-stop-mount" || d.Rule == "exec-stop-multiple" {
			t.Errorf("Lint misreads the resets: %v", d)
		}
	}

	// TimeoutSec= after TimeoutStopSec= wins, as timeout-stop-infinite reads it.
	timeouts := "[Service]\nType=oneshot\nExecStart=/bin/true\nTimeoutStopSec=60\nTimeoutSec=infinity\n"
	if dump := realtools.SystemdDump(t, "timeouts.service", []byte(timeouts)); !containsLine(dump, "TimeoutStopSec: infinity") {
		t.Errorf("systemd kept TimeoutStopSec=60 over a later TimeoutSec=infinity; revisit linter.lastOf. dump:\n%s", strings.Join(dump, "\n"))
	}
	if !hasRule(Lint(mustParse(t, timeouts)), "timeout-stop-infinite") {
		t.Error("Lint did not report timeout-stop-infinite")
	}

	text := "[Unit]\nAfter=cloud-init.target\nAfter=\nAfter=network.target\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
	if dump := realtools.SystemdDump(t, "reset.service", []byte(text)); !containsLine(dump, "After: cloud-init.target (origin-file)") {
		t.Errorf("systemd dropped After=cloud-init.target after an empty After=; revisit linter.words. dump:\n%s", strings.Join(dump, "\n"))
	}
	if !hasRule(Lint(mustParse(t, text)), "deadlock-after") {
		t.Error("Lint did not report deadlock-after")
	}
}
