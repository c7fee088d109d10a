package udkit

import (
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/unit"
)

// TestRulesHaveTimerRules checks that every timer rule is one of Rules, so
// that Options.Ignore and `udkit lint --ignore` take its id and the rule
// table of docs/lint.md lists it.
func TestRulesHaveTimerRules(t *testing.T) {
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, r := range unit.TimerRules() {
		if !known[r.ID] {
			t.Errorf("timer rule %s is missing from udkit.Rules()", r.ID)
		}
	}
	if _, _, err := Lint(nil, "timer-accuracy"); err != nil {
		t.Errorf("Lint refuses a timer rule id in ignore: %v", err)
	}
}

// TestLintTimerInWriteFiles checks that a timer written by write_files is
// linted with the timer rules, with the unit's name and line, while a
// service without ExecStop= beside it is not linted as a stop hook; and
// that a timer unit given alone gets the timer rules, not the stop-hook
// rules.
func TestLintTimerInWriteFiles(t *testing.T) {
	const doc = `#cloud-config
write_files:
  - path: /etc/systemd/system/renew.timer
    content: |
      [Unit]
      Description=Renew the lease

      [Timer]
      OnUnitActiveSec=30
  - path: /etc/systemd/system/renew.service
    content: |
      [Service]
      Type=oneshot
      ExecStart=/usr/local/bin/renew
  - path: /etc/renew.timer
    content: |
      not a unit: no /systemd/ in the path
`
	kind, ds, err := Lint([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if kind != KindCloudConfig {
		t.Fatalf("kind %v, want cloud-config", kind)
	}
	type find struct {
		rule       string
		line, unit int
	}
	want := []find{
		// Document line 8 is the [Timer] header (unit line 4).
		{"timer-never-first", 8, 4},
		{"timer-accuracy", 8, 4},
		{"timer-randomized-delay", 8, 4},
		{"timer-install", 0, 0},
	}
	got := map[string]find{}
	for _, d := range ds {
		if strings.HasPrefix(d.Rule, "timer-") {
			if d.Unit != "renew.timer" || d.Path != "write_files[0].content" {
				t.Errorf("%s: unit %q path %q, want renew.timer at write_files[0].content", d.Rule, d.Unit, d.Path)
			}
			got[d.Rule] = find{d.Rule, d.Line, d.UnitLine}
		}
		if d.Rule == "no-exec-stop" || d.Unit == "renew.service" {
			t.Errorf("a service without ExecStop= was linted as a stop hook: %v", d)
		}
	}
	for _, w := range want {
		g, ok := got[w.rule]
		if !ok {
			t.Errorf("no %s finding; got:\n%v", w.rule, ds)
			continue
		}
		if w.rule != "timer-install" && g != w {
			t.Errorf("%s at line %d (unit line %d), want %d (%d)", w.rule, g.line, g.unit, w.line, w.unit)
		}
	}
	if len(got) != len(want) {
		t.Errorf("timer findings %v, want the %d of %v", got, len(want), want)
	}

	// Ignored by id like any other rule.
	_, ds, err = Lint([]byte(doc), "timer-accuracy", "timer-randomized-delay")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Rule == "timer-accuracy" || d.Rule == "timer-randomized-delay" {
			t.Errorf("ignored rule reported: %v", d)
		}
	}
}

// TestLintTimerUnit lints timer unit files given alone: a good one (what
// unit.NewTimer makes) has no findings, a broken one the timer rules'.
func TestLintTimerUnit(t *testing.T) {
	tm, err := unit.NewTimer(unit.TimerConfig{Name: "udkit-renew", Command: []string{"/usr/local/bin/renew"}, Every: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	good, err := tm.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	kind, ds, err := Lint(good)
	if err != nil {
		t.Fatal(err)
	}
	if kind != KindUnit || len(ds) != 0 {
		t.Errorf("NewTimer's timer: kind %v, findings %v; want a unit and none", kind, ds)
	}
	_, ds, err = Lint([]byte("[Timer]\nOnBootSec=soon\n\n[Install]\nWantedBy=timers.target\n"))
	if err != nil {
		t.Fatal(err)
	}
	rules := []string{}
	for _, d := range ds {
		rules = append(rules, d.Rule)
	}
	if got := strings.Join(rules, " "); got != "timer-no-trigger timer-timespan" {
		t.Errorf("findings %q, want timer-no-trigger timer-timespan (and no stop-hook rule)", got)
	}
}
