package unit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/udkit/udkit/diag"
)

// TimerConfig describes a periodic job: a timer unit NAME.timer and the
// Type=oneshot service NAME.service it starts, such as the renewal of a
// registry lease every 30 s.
type TimerConfig struct {
	// Name names both units, without suffix: letters, digits, ':', '_',
	// '.' and '-'.
	Name string
	// Command is the service's ExecStart=: an absolute program path and
	// its arguments, run without a shell (see [Exec]). Required.
	Command []string
	// Every is OnUnitActiveSec=, the time from one start of the service to
	// the next; whole seconds, 1 s or more. Required.
	Every time.Duration
	// FirstAfterBoot is OnBootSec=, the first run's delay after boot; zero
	// means Every. A timer started later than that (armed from cloud-init's
	// runcmd at first boot) runs the service at once. Whole seconds.
	FirstAfterBoot time.Duration
	// RandomizedDelay is RandomizedDelaySec=: each run is delayed by a
	// random time up to it, so that instances launched together do not
	// call the same server in step. Zero means a tenth of Every (whole
	// seconds, at least 1 s); negative means none.
	RandomizedDelay time.Duration
	// Accuracy is AccuracySec=; zero means 1 s (systemd's default is a
	// minute, which would make a 30 s timer run up to a minute late).
	Accuracy time.Duration
	// Timeout is the service's TimeoutStartSec=; zero means Every, at most
	// 5 minutes. Whole seconds.
	Timeout time.Duration
	// After lists units the service is ordered after (After=), besides
	// network-online.target. Stopping happens in reverse order, so the
	// service is stopped (and a run in progress ended) before those units
	// stop at shutdown.
	After []string
	// PartOf, if set, is PartOf= of the timer: stopping or restarting that
	// unit stops or restarts the timer too.
	PartOf string
	// EnvironmentFile is the service's EnvironmentFile=; empty means none.
	EnvironmentFile string
	// User runs the command as this user instead of root.
	User string
	// Description is both units' Description=; empty means "Run NAME
	// periodically".
	Description string
}

// Timer is a timer unit, the service it starts, and the commands that arm
// the timer.
type Timer struct {
	// Name and Path are the timer's "NAME.timer" and
	// /etc/systemd/system/NAME.timer.
	Name, Path string
	// Unit is the timer unit.
	Unit *Unit
	// ServiceName and ServicePath are "NAME.service" and its path.
	ServiceName, ServicePath string
	// Service is the oneshot service the timer starts.
	Service *Unit
	// Arm are the commands, as argv lists for cloud-init's runcmd, that
	// load and start the timer once both files are written: a
	// daemon-reload, then `systemctl enable --now --no-block NAME.timer`.
	Arm [][]string
}

// TimerError lists the problems of a [TimerConfig], each naming its field
// in Path.
type TimerError struct {
	Problems diag.List
}

func (e *TimerError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Path + ": " + p.Message
	}
	return "unit: timer: " + strings.Join(msgs, "; ")
}

// RuleTimerConfig is the rule of a [TimerConfig] that [NewTimer] refuses.
const RuleTimerConfig = "timer-config"

func wholeSeconds(d time.Duration) bool { return d%time.Second == 0 }

func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// NewTimer builds the timer and its service:
//
//	# NAME.timer
//	[Unit]
//	Description=Run NAME periodically
//	PartOf=web-deregister.service
//
//	[Timer]
//	OnBootSec=30
//	OnUnitActiveSec=30
//	RandomizedDelaySec=3
//	AccuracySec=1
//
//	[Install]
//	WantedBy=timers.target
//
//	# NAME.service
//	[Unit]
//	Description=Run NAME periodically
//	Wants=network-online.target
//	After=network-online.target web-deregister.service
//
//	[Service]
//	Type=oneshot
//	ExecStart=/usr/local/lib/udkit/web-renew
//	TimeoutStartSec=30
//	SyslogIdentifier=NAME
//
// PartOf= is left out without PartOf; EnvironmentFile= and User= follow
// TimeoutStartSec= when set. The service has no [Install] section: the
// timer starts it. A config with problems gives a *[TimerError] listing
// them all.
func NewTimer(c TimerConfig) (*Timer, error) {
	var probs diag.List
	add := func(path, format string, args ...any) {
		probs = append(probs, diag.Diagnostic{Path: path, Severity: diag.Error, Rule: RuleTimerConfig, Message: fmt.Sprintf(format, args...)})
	}
	if err := ValidName(c.Name + ".timer"); err != nil || strings.ContainsAny(c.Name, "@") || c.Name == "" {
		add("name", "%q: want letters, digits, ':', '_', '.' and '-'", c.Name)
	}
	exec, err := Exec(c.Command)
	if err != nil {
		add("command", "%v", err)
	}
	if c.Every < time.Second || !wholeSeconds(c.Every) {
		add("every", "%v: want whole seconds, 1s or more", c.Every)
	}
	first := c.FirstAfterBoot
	if first == 0 {
		first = c.Every
	}
	if first < 0 || !wholeSeconds(first) {
		add("first_after_boot", "%v: want whole seconds", c.FirstAfterBoot)
	}
	delay := c.RandomizedDelay
	if delay == 0 {
		delay = max(time.Second, (c.Every / 10).Truncate(time.Second))
	}
	if delay < 0 {
		delay = 0
	}
	if !wholeSeconds(delay) || delay >= c.Every && c.Every > 0 {
		add("randomized_delay", "%v: want whole seconds, less than every (%v)", c.RandomizedDelay, c.Every)
	}
	acc := c.Accuracy
	if acc == 0 {
		acc = time.Second
	}
	if acc < 0 || !wholeSeconds(acc) || acc >= c.Every && c.Every > 0 {
		add("accuracy", "%v: want whole seconds, less than every (%v)", c.Accuracy, c.Every)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = min(c.Every, 5*time.Minute)
	}
	if timeout < time.Second || !wholeSeconds(timeout) {
		add("timeout", "%v: want whole seconds, 1s or more", c.Timeout)
	}
	for i, a := range c.After {
		if err := ValidName(a); err != nil {
			add(fmt.Sprintf("after[%d]", i), "%v", err)
		}
	}
	if c.PartOf != "" {
		if err := ValidName(c.PartOf); err != nil {
			add("part_of", "%v", err)
		}
	}
	if c.User != "" {
		if err := checkUser(c.User); err != nil {
			add("user", "%v", err)
		}
	}
	if c.EnvironmentFile != "" {
		if p := strings.TrimPrefix(c.EnvironmentFile, "-"); !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\n\r%") {
			add("environment_file", "%q: want an absolute path without white space or %%, optionally after '-'", c.EnvironmentFile)
		}
	}
	if len(probs) > 0 {
		return nil, &TimerError{Problems: probs}
	}
	desc := c.Description
	if desc == "" {
		desc = "Run " + c.Name + " periodically"
	}
	desc = strings.ReplaceAll(desc, "%", "%%")

	t := &Unit{}
	t.Add("Unit", "Description", desc)
	if c.PartOf != "" {
		t.Add("Unit", "PartOf", c.PartOf)
	}
	t.Add("Timer", "OnBootSec", secs(first))
	t.Add("Timer", "OnUnitActiveSec", secs(c.Every))
	if delay > 0 {
		t.Add("Timer", "RandomizedDelaySec", secs(delay))
	}
	t.Add("Timer", "AccuracySec", secs(acc))
	t.Add("Install", "WantedBy", "timers.target")

	s := &Unit{}
	s.Add("Unit", "Description", desc)
	s.Add("Unit", "Wants", "network-online.target")
	s.Add("Unit", "After", strings.Join(append([]string{"network-online.target"}, c.After...), " "))
	s.Add("Service", "Type", "oneshot")
	s.Add("Service", "ExecStart", exec)
	s.Add("Service", "TimeoutStartSec", secs(timeout))
	if c.EnvironmentFile != "" {
		s.Add("Service", "EnvironmentFile", c.EnvironmentFile)
	}
	if c.User != "" {
		s.Add("Service", "User", c.User)
	}
	s.Add("Service", "SyslogIdentifier", c.Name)
	for _, u := range []*Unit{t, s} {
		if _, err := u.Marshal(); err != nil {
			return nil, &TimerError{Problems: diag.List{{Severity: diag.Error, Rule: RuleTimerConfig, Message: err.Error()}}}
		}
	}
	return &Timer{
		Name: c.Name + ".timer", Path: "/etc/systemd/system/" + c.Name + ".timer", Unit: t,
		ServiceName: c.Name + ".service", ServicePath: "/etc/systemd/system/" + c.Name + ".service", Service: s,
		Arm: [][]string{
			{"systemctl", "daemon-reload"},
			{"systemctl", "enable", "--now", "--no-block", c.Name + ".timer"},
		},
	}, nil
}

var timerRules = []diag.Rule{
	{ID: "timer-no-trigger", Severity: diag.Error, Doc: "A timer without OnBootSec=, OnStartupSec=, OnActiveSec=, OnUnitActiveSec=, OnUnitInactiveSec= or OnCalendar= never elapses; systemd refuses to load it."},
	{ID: "timer-never-first", Severity: diag.Error, Doc: "OnUnitActiveSec= and OnUnitInactiveSec= count from the service's last run: with nothing else (OnBootSec=, OnActiveSec=, OnStartupSec=, OnCalendar=) a service that never ran is never started."},
	{ID: "timer-install", Severity: diag.Error, Doc: "Without [Install] WantedBy= (timers.target), `systemctl enable` has nothing to enable and the timer is not started at the next boot."},
	{ID: "timer-timespan", Severity: diag.Error, Doc: "OnBootSec=, OnUnitActiveSec=, RandomizedDelaySec=, AccuracySec= and the other time settings must be time spans systemd understands, such as 30, 30s or 1min 30s."},
	{ID: "timer-accuracy", Severity: diag.Warning, Doc: "AccuracySec= defaults to one minute, and systemd may run the service that late to coalesce wake-ups: a timer whose interval is not well above its accuracy (a lease renewal every 30 s) runs late and a lease may run out; set AccuracySec=1."},
	{ID: "timer-randomized-delay", Severity: diag.Info, Doc: "Without RandomizedDelaySec=, instances launched together run the service in step and call the same server at the same moment; add a delay of a tenth of the interval or so."},
}

// TimerRules returns every rule [LintTimer] checks, in a fixed order.
func TimerRules() []diag.Rule { return append([]diag.Rule(nil), timerRules...) }

func timerRuleSeverity(id string) diag.Severity {
	for _, r := range timerRules {
		if r.ID == id {
			return r.Severity
		}
	}
	panic("unit: unknown timer rule " + id)
}

// LintTimer checks u as a timer unit ([TimerRules] lists the checks) and
// returns its findings sorted by line and rule id. A timer built by
// [NewTimer] gets none.
func LintTimer(u *Unit) diag.List {
	var out diag.List
	add := func(line int, rule, format string, args ...any) {
		out = append(out, diag.Diagnostic{Line: line, Severity: timerRuleSeverity(rule), Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	header := 0
	if s := u.Section("Timer"); s != nil {
		header = s.Line
	}
	spans := map[string]time.Duration{}
	for _, key := range []string{"OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec", "RandomizedDelaySec", "AccuracySec"} {
		for _, o := range u.Options("Timer", key) {
			if o.Value == "" {
				delete(spans, key) // an empty assignment resets the list
				continue
			}
			d, _, err := parseTimespan(o.Value)
			if err != nil {
				add(o.Line, "timer-timespan", "%s=%s: %v", key, o.Value, err)
				continue
			}
			spans[key] = d
		}
	}
	calendar := false
	for _, v := range u.Values("Timer", "OnCalendar") {
		calendar = v != ""
	}
	_, boot := spans["OnBootSec"]
	_, startup := spans["OnStartupSec"]
	_, active := spans["OnActiveSec"]
	every, unitActive := spans["OnUnitActiveSec"]
	_, unitInactive := spans["OnUnitInactiveSec"]
	switch {
	case !boot && !startup && !active && !unitActive && !unitInactive && !calendar:
		add(header, "timer-no-trigger", "the timer has no OnBootSec=, OnUnitActiveSec=, OnCalendar= or other trigger: it never elapses")
	case !boot && !startup && !active && !calendar:
		add(header, "timer-never-first", "only OnUnitActiveSec=/OnUnitInactiveSec=: they count from the service's last run, and a service that never ran is never started; add OnBootSec=")
	}
	if len(u.Values("Install", "WantedBy")) == 0 && len(u.Values("Install", "RequiredBy")) == 0 {
		line := 0
		if s := u.Section("Install"); s != nil {
			line = s.Line
		}
		add(line, "timer-install", "no [Install] WantedBy=timers.target: `systemctl enable` has nothing to enable")
	}
	if unitActive && every > 0 {
		acc, set := spans["AccuracySec"]
		if !set {
			acc = time.Minute
		}
		if acc*2 > every {
			line := header
			if os := u.Options("Timer", "AccuracySec"); len(os) > 0 {
				line = os[len(os)-1].Line
			}
			add(line, "timer-accuracy", "AccuracySec= %v against an interval of %v: systemd may run the service up to %v late; set AccuracySec=1", acc, every, acc)
		}
		if _, set := spans["RandomizedDelaySec"]; !set {
			add(header, "timer-randomized-delay", "no RandomizedDelaySec=: instances launched together run in step")
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}
