package unit

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
)

var renewTimer = TimerConfig{
	Name:            "web-renew",
	Command:         []string{"/usr/local/lib/udkit/web-renew"},
	Every:           30 * time.Second,
	After:           []string{"web-deregister.service"},
	PartOf:          "web-deregister.service",
	EnvironmentFile: "-/etc/default/web",
	Description:     "Renew web's registry lease",
}

func marshalTimer(t *testing.T, tm *Timer) (timer, service []byte) {
	t.Helper()
	timer, err := tm.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	service, err = tm.Service.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return timer, service
}

func TestTimerGoldenVerify(t *testing.T) {
	for name, c := range map[string]TimerConfig{
		"renew":   renewTimer,
		"minimal": {Name: "job", Command: []string{"/usr/bin/true"}, Every: 10 * time.Minute, RandomizedDelay: -1, User: "daemon"},
	} {
		t.Run(name, func(t *testing.T) {
			tm, err := NewTimer(c)
			if err != nil {
				t.Fatal(err)
			}
			timer, service := marshalTimer(t, tm)
			golden.Assert(t, "testdata/timer/"+name+".timer", timer)
			golden.Assert(t, "testdata/timer/"+name+".service", service)
			d := LintTimer(tm.Unit)
			if c.RandomizedDelay < 0 {
				// Asked for no delay: advice only.
				if len(d) != 1 || d[0].Rule != "timer-randomized-delay" {
					t.Errorf("LintTimer without a randomized delay: %v", d)
				}
			} else if len(d) != 0 {
				t.Errorf("LintTimer of NewTimer's unit: %v", d)
			}
			// Parse reads back what Marshal wrote; go-systemd agrees.
			checkDeserialize(t, timer)
			checkDeserialize(t, service)
			if tm.Arm[1][4] != c.Name+".timer" || tm.Path != "/etc/systemd/system/"+c.Name+".timer" {
				t.Errorf("arm %v, path %s", tm.Arm, tm.Path)
			}
			units := map[string][]byte{tm.Name: timer, tm.ServiceName: service}
			if c.PartOf != "" {
				// The unit PartOf= and After= name, as the composition
				// writes it beside the timer.
				units[c.PartOf] = []byte("[Unit]\nDescription=stop hook\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n")
			}
			if out := realtools.SystemdVerifyUnits(t, units); out != "" {
				t.Errorf("systemd-analyze verify:\n%s", out)
			}
		})
	}
	t.Run("broken timer fails", func(t *testing.T) {
		tm, _ := NewTimer(renewTimer)
		timer, service := marshalTimer(t, tm)
		broken := bytes.Replace(timer, []byte("OnUnitActiveSec=30"), []byte("OnUnitActiveSec=thirty"), 1)
		out := realtools.SystemdVerifyUnits(t, map[string][]byte{tm.Name: broken, tm.ServiceName: service, "web-deregister.service": []byte("[Service]\nExecStart=/bin/true\n")})
		if !strings.Contains(out, "thirty") {
			t.Errorf("systemd-analyze verify accepted OnUnitActiveSec=thirty; output %q", out)
		}
	})
}

func TestNewTimerErrors(t *testing.T) {
	ok := TimerConfig{Name: "job", Command: []string{"/usr/bin/true"}, Every: time.Minute}
	if _, err := NewTimer(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*TimerConfig)
	}{
		{"name", func(c *TimerConfig) { c.Name = "" }},
		{"name", func(c *TimerConfig) { c.Name = "a b" }},
		{"command", func(c *TimerConfig) { c.Command = []string{"true"} }},
		{"every", func(c *TimerConfig) { c.Every = 0 }},
		{"every", func(c *TimerConfig) { c.Every = 1500 * time.Millisecond }},
		{"randomized_delay", func(c *TimerConfig) { c.RandomizedDelay = 2 * time.Minute }},
		{"accuracy", func(c *TimerConfig) { c.Accuracy = time.Minute }},
		{"timeout", func(c *TimerConfig) { c.Timeout = -time.Second }},
		{"after[0]", func(c *TimerConfig) { c.After = []string{"nope"} }},
		{"part_of", func(c *TimerConfig) { c.PartOf = "x y.service" }},
		{"user", func(c *TimerConfig) { c.User = "root;x" }},
		{"environment_file", func(c *TimerConfig) { c.EnvironmentFile = "relative" }},
	} {
		c := ok
		tc.edit(&c)
		_, err := NewTimer(c)
		te, isTE := err.(*TimerError)
		if !isTE || len(te.Problems) == 0 || te.Problems[0].Path != tc.field {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}

func TestLintTimer(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		rules      []string
	}{
		{"no trigger", "[Timer]\nAccuracySec=1\n[Install]\nWantedBy=timers.target\n", []string{"timer-no-trigger"}},
		{"never first", "[Timer]\nOnUnitActiveSec=30\nAccuracySec=1\nRandomizedDelaySec=3\n[Install]\nWantedBy=timers.target\n", []string{"timer-never-first"}},
		{"no install", "[Timer]\nOnBootSec=30\nOnUnitActiveSec=30\nAccuracySec=1\nRandomizedDelaySec=3\n", []string{"timer-install"}},
		{"default accuracy", "[Timer]\nOnBootSec=30\nOnUnitActiveSec=30\nRandomizedDelaySec=3\n[Install]\nWantedBy=timers.target\n", []string{"timer-accuracy"}},
		{"coarse accuracy", "[Timer]\nOnBootSec=30\nOnUnitActiveSec=30\nRandomizedDelaySec=3\nAccuracySec=20s\n[Install]\nWantedBy=timers.target\n", []string{"timer-accuracy"}},
		{"in step", "[Timer]\nOnBootSec=30\nOnUnitActiveSec=30\nAccuracySec=1\n[Install]\nWantedBy=timers.target\n", []string{"timer-randomized-delay"}},
		{"bad span", "[Timer]\nOnBootSec=thirty\nOnUnitActiveSec=1h\nAccuracySec=1\nRandomizedDelaySec=3\n[Install]\nWantedBy=timers.target\n", []string{"timer-never-first", "timer-timespan"}},
		{"reset", "[Timer]\nOnBootSec=30\nOnBootSec=\nOnUnitActiveSec=1h\nAccuracySec=1\nRandomizedDelaySec=3\n[Install]\nWantedBy=timers.target\n", []string{"timer-never-first"}},
		{"calendar", "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n", nil},
		{"hourly fine", "[Timer]\nOnBootSec=5min\nOnUnitActiveSec=1h\nRandomizedDelaySec=5min\n[Install]\nWantedBy=timers.target\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := Parse(strings.NewReader(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range LintTimer(u) {
				got = append(got, d.Rule)
				if d.Message == "" {
					t.Errorf("%s: no message", d.Rule)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.rules, ",") {
				t.Errorf("rules %v, want %v", got, tc.rules)
			}
		})
	}
	for _, r := range TimerRules() {
		if r.Doc == "" {
			t.Errorf("%s: no doc", r.ID)
		}
	}
}
