package unit

import (
	"fmt"
	"github.com/udkit/udkit/diag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hookText is a clean stop hook; each lint case breaks (bad) or fixes
// (good) one thing in it.
const hookText = `[Unit]
Description=Deregister web at shutdown
Wants=network-online.target
After=network-online.target network.target remote-fs.target
RequiresMountsFor=/mnt/shared

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/mnt/shared/bin/deregister
TimeoutStopSec=60
EnvironmentFile=-/etc/default/web
SyslogIdentifier=web

[Install]
WantedBy=multi-user.target
`

func edit(pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(hookText)
}

// lintCases holds, for every rule, a unit that must trigger it (with the
// line it must point at) and a close variant that must not.
var lintCases = []struct {
	name string
	rule string
	bad  string
	line int
	good string
}{
	{"oneshot without RemainAfterExit", "remain-after-exit", edit("RemainAfterExit=yes\n", ""), 8, hookText},
	{"RemainAfterExit=no", "remain-after-exit", edit("RemainAfterExit=yes", "RemainAfterExit=no"), 9, edit("RemainAfterExit=yes", "RemainAfterExit=true")},
	{"implicit oneshot without RemainAfterExit", "remain-after-exit", edit("Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", ""), 7, edit("Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", "RemainAfterExit=on\n")},
	{"no ExecStop", "no-exec-stop", edit("ExecStop=/mnt/shared/bin/deregister\n", ""), 7, hookText},
	{"ExecStop reset by empty assignment", "no-exec-stop", edit("TimeoutStopSec=60", "ExecStop=\nTimeoutStopSec=60"), 7, edit("TimeoutStopSec=60", "ExecStop=\nExecStop=/mnt/shared/bin/deregister\nTimeoutStopSec=60")},
	{"After network-online without Wants", "network-online-wants", edit("Wants=network-online.target\n", ""), 3, edit("Wants=network-online.target\n", "Requires=network-online.target\n")},
	{"no network ordering", "network-after", edit("After=network-online.target network.target remote-fs.target", "After=remote-fs.target"), 1, edit("After=network-online.target network.target remote-fs.target", "After=network.target remote-fs.target")},
	{"DefaultDependencies=no without network ordering", "network-after", edit("Wants=network-online.target\nAfter=network-online.target network.target remote-fs.target", "DefaultDependencies=no\nConflicts=shutdown.target\nBefore=shutdown.target\nAfter=remote-fs.target"), 1, edit("Wants=network-online.target\n", "DefaultDependencies=no\nConflicts=shutdown.target\nBefore=shutdown.target\nWants=network-online.target\n")},
	{"After cloud-init.target", "deadlock-after", edit("remote-fs.target", "remote-fs.target cloud-init.target"), 4, edit("remote-fs.target", "remote-fs.target multi-user.target")},
	{"After cloud-final.service on its own line", "deadlock-after", edit("RequiresMountsFor", "After=cloud-final.service\nRequiresMountsFor"), 5, edit("RequiresMountsFor", "Before=cloud-final.service\nRequiresMountsFor")},
	{"After= reset does not hide an ordering", "deadlock-after", edit("remote-fs.target", "remote-fs.target\nAfter=\nAfter=cloud-init.target"), 6, hookText},
	{"After cloud-final.service, not default.target", "deadlock-after", edit("network.target", "cloud-final.service"), 4, edit("network.target", "network.target default.target graphical.target")},
	{"DefaultDependencies=no alone", "default-dependencies", edit("Wants=", "DefaultDependencies=no\nWants="), 3, edit("Wants=", "DefaultDependencies=no\nConflicts=shutdown.target\nBefore=shutdown.target\nWants=")},
	{"DefaultDependencies=no with only Conflicts", "default-dependencies", edit("Wants=", "DefaultDependencies=no\nConflicts=shutdown.target\nWants="), 3, edit("Wants=", "DefaultDependencies=yes\nWants=")},
	{"unterminated quote", "exec-syntax", edit("deregister\n", "deregister \"now\n"), 11, edit("deregister\n", "deregister \"now\"\n")},
	{"quote in ExecStop program", "exec-path-special", edit("ExecStop=/mnt/shared/bin/deregister", `ExecStop="/mnt/shared/bin/o'brien/deregister"`), 11, edit("ExecStop=/mnt/shared/bin/deregister", `ExecStop="/mnt/shared/bin/o brien/deregister"`)},
	{"escaped tab in ExecStop program", "exec-path-special", edit("ExecStop=/mnt/shared/bin/deregister", `ExecStop="/mnt/shared/bin/a\tb"`), 11, edit("ExecStop=/mnt/shared/bin/deregister", `ExecStop="/mnt/shared/bin/deregister" "a\tb"`)},
	{"escaped ESC in ExecStart program", "exec-path-special", edit("ExecStart=/bin/true", `ExecStart="/usr/local/bin/x\x1by"`), 10, edit("ExecStart=/bin/true", `ExecStart=/usr/local/bin/x-y`)},
	{"relative ExecStop", "exec-not-absolute", edit("ExecStop=/mnt/shared/bin/deregister", "ExecStop=deregister"), 11, hookText},
	{"relative ExecStart", "exec-not-absolute", edit("ExecStart=/bin/true", "ExecStart=true"), 10, hookText},
	{"pipe without shell", "exec-shell-syntax", edit("deregister\n", "deregister | logger\n"), 11, edit("ExecStop=/mnt/shared/bin/deregister", "ExecStop=/bin/sh -c '/mnt/shared/bin/deregister | logger'")},
	{"redirect without shell", "exec-shell-syntax", edit("deregister\n", "deregister >/var/log/x 2>&1\n"), 11, edit("deregister\n", "deregister --log /var/log/x\n")},
	{"command substitution without shell", "exec-shell-syntax", edit("deregister\n", "deregister --host $$(hostname)\n"), 11, edit("deregister\n", "deregister --host %%H\n")},
	{"unknown specifier", "percent-unknown", edit("deregister\n", "deregister --at +%z\n"), 11, edit("deregister\n", "deregister --at +%%z\n")},
	{"unknown specifier in Description", "percent-unknown", edit("at shutdown", "at 100%z"), 2, edit("at shutdown", "at 100% (a '%' before a blank or at the end stays) 5%")},
	{"known specifier", "percent-specifier", edit("deregister\n", "deregister --node %n\n"), 11, edit("deregister\n", "deregister --node %%n\n")},
	{"no TimeoutStopSec", "timeout-stop-missing", edit("TimeoutStopSec=60\n", ""), 7, edit("TimeoutStopSec=60", "TimeoutSec=60")},
	{"TimeoutStopSec=infinity", "timeout-stop-infinite", edit("TimeoutStopSec=60", "TimeoutStopSec=infinity"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=1min")},
	{"TimeoutSec after TimeoutStopSec wins", "timeout-stop-infinite", edit("TimeoutStopSec=60", "TimeoutStopSec=60\nTimeoutSec=infinity"), 13, edit("TimeoutStopSec=60", "TimeoutSec=infinity\nTimeoutStopSec=60")},
	{"TimeoutStopSec=0", "timeout-stop-infinite", edit("TimeoutStopSec=60", "TimeoutStopSec=0"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=500ms")},
	{"TimeoutStopSec over 90 s", "timeout-stop-long", edit("TimeoutStopSec=60", "TimeoutStopSec=1min 31s"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=1min 30s")},
	{"TimeoutStopSec=2h", "timeout-stop-long", edit("TimeoutStopSec=60", "TimeoutStopSec=2h"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=90s")},
	{"oneshot registering without a start timeout", "timeout-start-missing", edit("ExecStart=/bin/true", "ExecStart=/mnt/shared/bin/register"), 10, edit("ExecStart=/bin/true", "ExecStart=/mnt/shared/bin/register\nTimeoutStartSec=30")},
	{"oneshot with TimeoutSec is fine", "timeout-start-missing", edit("ExecStart=/bin/true", "ExecStart=/bin/true\nExecStart=/usr/bin/curl https://192.0.2.1/"), 11, edit("ExecStart=/bin/true", "ExecStart=/usr/bin/curl https://192.0.2.1/\nTimeoutSec=30", "TimeoutStopSec=60\n", "")},
	{"TimeoutStopSec garbage", "timeout-stop-invalid", edit("TimeoutStopSec=60", "TimeoutStopSec=sixty"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=60 s")},
	{"TimeoutStopSec bad unit", "timeout-stop-invalid", edit("TimeoutStopSec=60", "TimeoutStopSec=60 secs"), 12, edit("TimeoutStopSec=60", "TimeoutStopSec=60 seconds")},
	{"ExecStop outside the mounts", "exec-stop-mount", edit("RequiresMountsFor=/mnt/shared\n", ""), 10, edit("RequiresMountsFor=/mnt/shared", "RequiresMountsFor=/mnt")},
	{"ExecStop under a sibling path", "exec-stop-mount", edit("RequiresMountsFor=/mnt/shared", "RequiresMountsFor=/mnt/share"), 11, edit("ExecStop=/mnt/shared/bin/deregister", "ExecStop=/usr/local/bin/deregister")},
	{"RequiresMountsFor", "mounts-required", hookText, 5, edit("RequiresMountsFor=/mnt/shared\n", "", "/mnt/shared/bin", "/usr/bin")},
	{"x20 in RequiresMountsFor", "mounts-x20", edit("RequiresMountsFor=/mnt/shared", `RequiresMountsFor=/mnt/shared\x20data`), 5, edit("RequiresMountsFor=/mnt/shared", `RequiresMountsFor="/mnt/shared data"`)},
	{"no Install section", "install-wanted-by", edit("\n[Install]\nWantedBy=multi-user.target\n", ""), 0, edit("WantedBy=multi-user.target", "RequiredBy=multi-user.target")},
	{"Install without WantedBy", "install-wanted-by", edit("WantedBy=multi-user.target", "Alias=x.service"), 16, hookText},
	{"two ExecStop lines", "exec-stop-multiple", edit("TimeoutStopSec", "ExecStop=/mnt/shared/bin/cleanup\nTimeoutStopSec"), 12, edit("deregister", "deregister-and-cleanup")},
	{"dash prefix on ExecStop", "exec-stop-ignore-failure", edit("ExecStop=/", "ExecStop=-/"), 11, edit("ExecStart=/", "ExecStart=-/")},
}

func mustParse(t testing.TB, text string) *Unit {
	t.Helper()
	u, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return u
}

func TestLintRules(t *testing.T) {
	for _, tt := range lintCases {
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			var found *diag.Diagnostic
			diags := Lint(mustParse(t, tt.bad))
			for i, d := range diags {
				if d.Rule == tt.rule {
					found = &diags[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("bad unit: rule %s did not fire; got %v\n%s", tt.rule, diags, tt.bad)
			}
			if found.Line != tt.line {
				t.Errorf("bad unit: %s at line %d, want line %d", tt.rule, found.Line, tt.line)
			}
			if found.Severity != ruleSeverity(tt.rule) {
				t.Errorf("bad unit: severity %v, rule says %v", found.Severity, ruleSeverity(tt.rule))
			}
			if found.Message == "" {
				t.Errorf("bad unit: empty message")
			}
			for _, d := range Lint(mustParse(t, tt.good)) {
				if d.Rule == tt.rule {
					t.Errorf("good unit: rule %s fired: %v\n%s", tt.rule, d, tt.good)
				}
			}
		})
	}
}

// TestLintRulesCovered makes sure every rule has a documented, tested case.
func TestLintRulesCovered(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range lintCases {
		tested[c.rule] = true
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if !tested[r.ID] {
			t.Errorf("rule %s has no failing and passing case in lintCases", r.ID)
		}
		if r.Doc == "" || !strings.HasSuffix(r.Doc, ".") {
			t.Errorf("rule %s: doc %q should be a sentence", r.ID, r.Doc)
		}
	}
	for id := range tested {
		if !seen[id] {
			t.Errorf("lintCases tests %s, which Rules does not list", id)
		}
	}
}

// TestLintGolden checks that the units StopHook produces have no errors or
// warnings, only the information about RequiresMountsFor.
func TestLintGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.service")
	if len(files) == 0 {
		t.Fatal("no golden units")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range Lint(mustParse(t, string(text))) {
				if d.Severity != diag.Info || d.Rule != "mounts-required" {
					t.Errorf("%s: %v", f, d)
				}
			}
		})
	}
}

func TestLintClean(t *testing.T) {
	var got []string
	for _, d := range Lint(mustParse(t, hookText)) {
		got = append(got, d.String())
	}
	want := "line 5: info: RequiresMountsFor=/mnt/shared: if one of these fails to mount at boot, the hook is never started and ExecStop= never runs [mounts-required]"
	if len(got) != 1 || got[0] != want {
		t.Errorf("Lint(hookText) = %q, want only\n%s", got, want)
	}
}

// TestLintOrder checks that findings come sorted by line, then rule id.
func TestLintOrder(t *testing.T) {
	u := mustParse(t, "[Service]\nExecStop=-deregister | x\nExecStop=/bin/%z\n")
	var got []string
	for _, d := range Lint(u) {
		got = append(got, fmt.Sprintf("%d %s %s", d.Line, d.Severity, d.Rule))
	}
	want := []string{
		"0 error install-wanted-by",
		"1 warning network-after",
		"1 error remain-after-exit",
		"1 warning timeout-stop-missing",
		"2 error exec-not-absolute",
		"2 error exec-shell-syntax",
		"2 warning exec-stop-ignore-failure",
		"3 warning exec-stop-multiple",
		"3 error percent-unknown",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lint order mismatch (-want +got):\n%s", diff)
	}
}

func TestParseTimespan(t *testing.T) {
	tests := []struct {
		in   string
		want string
		inf  bool
		bad  bool
	}{
		{"60", "1m0s", false, false},
		{"60s", "1m0s", false, false},
		{"1min 30s", "1m30s", false, false},
		{"1min30s", "1m30s", false, false},
		{"1.5h", "1h30m0s", false, false},
		{"500ms", "500ms", false, false},
		{"2 weeks", "336h0m0s", false, false},
		{"infinity", "0s", true, false},
		{"", "", false, true},
		{"1x", "", false, true},
		{"s", "", false, true},
	}
	for _, tt := range tests {
		d, inf, err := parseTimespan(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseTimespan(%q) = %v, want an error", tt.in, d)
			}
			continue
		}
		if err != nil || inf != tt.inf || d.String() != tt.want {
			t.Errorf("parseTimespan(%q) = %v, %v, %v; want %s, %v", tt.in, d, inf, err, tt.want, tt.inf)
		}
	}
}

// TestReadmeRules keeps the rule table in docs/lint.md (linked from the
// README) in step with Rules.
func TestReadmeRules(t *testing.T) {
	readme, err := os.ReadFile("../docs/lint.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		row := fmt.Sprintf("| `%s` | %s | %s |", r.ID, r.Severity, strings.ReplaceAll(r.Doc, "|", `\|`))
		if !strings.Contains(string(readme), row) {
			t.Errorf("docs/lint.md lacks the row\n%s", row)
		}
	}
}

// TestLintDaemon: a service that is not shaped as a stop hook (a daemon:
// Type=notify, no ExecStop=) stops by a signal, so the stop-hook rules
// (no-exec-stop, network-after, timeouts, [Install], ...) say nothing
// about it, while the rules that hold for every service still fire.
func TestLintDaemon(t *testing.T) {
	const daemon = `[Unit]
Description=a registry daemon
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
ExecStart=/usr/local/bin/udkitd serve --data /var/lib/udkitd
Restart=on-failure
`
	u := mustParse(t, daemon)
	if IsStopHook(u) {
		t.Fatal("IsStopHook(daemon) = true")
	}
	if ds := Lint(u); len(ds) != 0 {
		t.Errorf("Lint(daemon) = %v, want nothing: the stop-hook rules do not apply to a daemon", ds)
	}
	// The rules for every service still fire on a daemon: a relative
	// program, a shell pipe, an unknown specifier, an ordering with no job.
	bad := strings.NewReplacer(
		"ExecStart=/usr/local/bin/udkitd", "ExecStart=udkitd",
		"Restart=on-failure", "ExecStartPre=/bin/echo %z | /usr/bin/logger",
		"Wants=network-online.target", "Wants=",
	).Replace(daemon)
	got := map[string]bool{}
	for _, d := range Lint(mustParse(t, bad)) {
		got[d.Rule] = true
		if !daemonRules[d.Rule] {
			t.Errorf("a stop-hook rule fired on a daemon: %v", d)
		}
	}
	for _, r := range []string{"exec-not-absolute", "exec-shell-syntax", "percent-unknown", "network-online-wants"} {
		if !got[r] {
			t.Errorf("rule %s did not fire on a daemon that breaks it; got %v", r, got)
		}
	}
	// A oneshot without ExecStop= is a stop hook missing its command, and
	// a daemon with ExecStop= is checked as a stop hook: both get every rule.
	for _, text := range []string{
		"[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"[Service]\nExecStart=/usr/bin/app\nExecStop=/usr/bin/app stop\n",
	} {
		u := mustParse(t, text)
		if !IsStopHook(u) {
			t.Errorf("IsStopHook(%q) = false", text)
		}
		if len(Lint(u)) == 0 {
			t.Errorf("Lint(%q) found nothing", text)
		}
	}
	for _, r := range rules {
		if daemonRules[r.ID] != (r.ID == "network-online-wants" || strings.HasPrefix(r.ID, "exec-") && !strings.HasPrefix(r.ID, "exec-stop") || strings.HasPrefix(r.ID, "percent-") || r.ID == "timeout-stop-invalid" || r.ID == "mounts-x20") {
			t.Errorf("rule %s: daemonRules and this test disagree", r.ID)
		}
	}
}
