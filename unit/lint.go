package unit

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/udkit/udkit/diag"
)

var rules = []diag.Rule{
	{ID: "remain-after-exit", Severity: diag.Error, Doc: "A Type=oneshot service with ExecStop= needs RemainAfterExit=yes: otherwise it is inactive as soon as ExecStart= ends, there is nothing to stop at shutdown and ExecStop= never runs."},
	{ID: "no-exec-stop", Severity: diag.Error, Doc: "A stop hook needs an ExecStop= line: it is the command that runs at shutdown."},
	{ID: "network-online-wants", Severity: diag.Error, Doc: "After=network-online.target orders nothing unless the target has a job: add Wants=network-online.target, or ExecStop= may run after the network is gone."},
	{ID: "network-after", Severity: diag.Warning, Doc: "A stop hook with no After=network.target or After=network-online.target is not ordered before the network goes down: at shutdown its ExecStop= may run with the network already gone (seen in our end-to-end test with DefaultDependencies=no); add After=network-online.target network.target and Wants=network-online.target."},
	{ID: "deadlock-after", Severity: diag.Error, Doc: "Ordering the hook After= cloud-final.service or cloud-init.target deadlocks a blocking `systemctl start` from runcmd, which runs inside cloud-final.service (After=multi-user.target does not: cloud-final is itself ordered after that target, whose job is done first; shown by real boots on Debian 12 and 13)."},
	{ID: "default-dependencies", Severity: diag.Error, Doc: "DefaultDependencies=no drops Conflicts= and Before=shutdown.target, so the hook is not stopped in order at shutdown; give both explicitly or drop the setting."},
	{ID: "exec-syntax", Severity: diag.Error, Doc: "An Exec*= value must split into words: no unterminated quotes, unknown escapes or several commands joined with ';'."},
	{ID: "exec-path-special", Severity: diag.Error, Doc: "systemd refuses a program path holding a quote, a backslash, a control character or DEL (\"Executable name contains special characters\"): the unit fails to load and its ExecStop= never runs; move or link the program to a plain path."},
	{ID: "exec-not-absolute", Severity: diag.Error, Doc: "The program of an Exec*= line must be an absolute path; ExecStop= runs with a fixed PATH and no login environment."},
	{ID: "exec-shell-syntax", Severity: diag.Error, Doc: "Exec*= lines are not run by a shell: '|', '>', '&&', words starting with '$(' or a backquote are passed as literal arguments; use /bin/sh -c or a script."},
	{ID: "percent-unknown", Severity: diag.Error, Doc: "'%' followed by a letter or digit is a specifier: an unknown one (%z) makes systemd reject the value, a deprecated one (%c, %r, %R) draws a warning; write %% for a literal percent sign."},
	{ID: "percent-specifier", Severity: diag.Warning, Doc: "'%' followed by a known specifier letter is silently replaced (%H is the host name, %n the unit name, %Y a directory); write %% if a literal percent sign was meant."},
	{ID: "timeout-stop-missing", Severity: diag.Warning, Doc: "Without TimeoutStopSec= the stop command gets the manager's DefaultTimeoutStopSec (90 s unless changed); set an explicit budget, 60 s by default."},
	{ID: "timeout-stop-infinite", Severity: diag.Error, Doc: "TimeoutStopSec=infinity or 0 lets a hanging stop command hold up shutdown for ever; set a finite budget."},
	{ID: "timeout-stop-long", Severity: diag.Warning, Doc: "TimeoutStopSec= over 90 s exceeds systemd's default and the time a cloud instance is likely to get (a spot interruption gives 2 minutes in all)."},
	{ID: "timeout-start-missing", Severity: diag.Warning, Doc: "A Type=oneshot service whose ExecStart= does real work has no start timeout by default, and multi-user.target waits for it: a hanging registration holds up every boot; set TimeoutStartSec=."},
	{ID: "timeout-stop-invalid", Severity: diag.Error, Doc: "TimeoutStopSec= (or TimeoutSec=) must be a time span systemd understands, such as 60, 60s or 1min 30s."},
	{ID: "exec-stop-mount", Severity: diag.Warning, Doc: "The ExecStop= program lies outside every RequiresMountsFor= path and outside the root file system's /usr, /bin, /sbin, /lib and /etc: if it is on a network mount, that mount may be gone when the hook runs."},
	{ID: "mounts-required", Severity: diag.Info, Doc: "RequiresMountsFor= adds Requires= on the mounts: if one fails at boot, the hook is never started and its ExecStop= never runs."},
	{ID: "mounts-x20", Severity: diag.Error, Doc: "RequiresMountsFor= does not decode \\x escapes: \\x20 becomes the text x20; quote a path with spaces instead."},
	{ID: "install-wanted-by", Severity: diag.Error, Doc: "Without [Install] WantedBy= (or RequiredBy=), `systemctl enable` has nothing to enable and the hook does not start at boot."},
	{ID: "exec-stop-multiple", Severity: diag.Warning, Doc: "Several ExecStop= lines run in order and the first failure or timeout skips the rest; use one ExecStop= with one script."},
	{ID: "exec-stop-ignore-failure", Severity: diag.Warning, Doc: "The '-' prefix on ExecStop= records a failed deregistration as success and hides it; drop the prefix."},
}

// Rules returns every rule [Lint] checks, in a fixed order, then the rule
// of a unit that does not parse ([RuleParse]) and that of a
// [StopHookConfig] that [StopHook] refuses ([RuleStopHookConfig]).
func Rules() []diag.Rule {
	return append(append([]diag.Rule(nil), rules...), parseRule, stopHookRule)
}

var (
	parseRule    = diag.Rule{ID: RuleParse, Severity: diag.Error, Doc: "The unit file does not parse the way systemd reads it: a line that is neither Key=Value nor a [Section] header, an option before any section, a line over the length limit, a control character."}
	stopHookRule = diag.Rule{ID: RuleStopHookConfig, Severity: diag.Error, Doc: "A StopHookConfig that StopHook refuses: a bad name, an empty or invalid Stop or Start command, a timeout out of range, a mount path that is not normalized, a bad user or environment file."}
)

// RuleParse is the rule id of a unit [Parse] refuses ([ParseError]).
const RuleParse = "unit-parse"

func ruleSeverity(id string) diag.Severity {
	for _, r := range rules {
		if r.ID == id {
			return r.Severity
		}
	}
	panic("unit: unknown lint rule " + id)
}

// deadlockTargets are the units a hook started from runcmd must never be
// ordered after: a blocking start from runcmd (inside cloud-final.service)
// waits for their jobs, which wait for cloud-final. multi-user.target,
// default.target and graphical.target are not among them: cloud-final is
// After=multi-user.target, so that target's job finishes first, and e2e's
// TestControlBlockingStartDeadlocks/blocking-after-multi-user boots a
// blocking start After=multi-user.target without a deadlock on systemd
// 252 and 257 (docs/versions.md).
var deadlockTargets = []string{"cloud-final.service", "cloud-init.target"}

// rootDirs hold programs that live on the root file system, which stays
// mounted until every service has stopped.
var rootDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"}

// Lint checks u as a stop hook (the [Rules] list every check) and returns
// its findings sorted by line and rule id. A service that is not shaped as
// one ([IsStopHook]: a daemon with no ExecStop=) gets only the rules that
// hold for every service: Exec*= syntax and paths, specifiers,
// network-online-wants, mounts-x20 and timeout-stop-invalid. A finding's Line is the unit
// line it is about: the option's line, or the header of the section
// something is missing from; 0 when the section itself is missing or the
// unit was built in code. An empty result means no rule
// fired; a unit built by [StopHook] gets at most Info findings, and a
// warning only about a stop program outside the mounts it was given.
func Lint(u *Unit) diag.List {
	l := linter{u: u}
	l.run()
	sort.SliceStable(l.diags, func(i, j int) bool {
		if l.diags[i].Line != l.diags[j].Line {
			return l.diags[i].Line < l.diags[j].Line
		}
		return l.diags[i].Rule < l.diags[j].Rule
	})
	return l.diags
}

type linter struct {
	u     *Unit
	diags diag.List
}

func (l *linter) add(line int, rule, format string, args ...any) {
	l.diags = append(l.diags, diag.Diagnostic{Line: line, Severity: ruleSeverity(rule), Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (l *linter) headerLine(section string) int {
	if s := l.u.Section(section); s != nil {
		return s.Line
	}
	return 0
}

// last returns the last option key in section, if any.
func (l *linter) last(section, key string) (Option, bool) {
	return l.lastOf(section, key)
}

// lastOf returns the last option in section whose key is one of keys, in
// file order: TimeoutSec= and TimeoutStopSec= set the same thing, and the
// later one wins.
func (l *linter) lastOf(section string, keys ...string) (Option, bool) {
	var last Option
	found := false
	for _, s := range l.u.Sections {
		if s.Name != section {
			continue
		}
		for _, o := range s.Options {
			for _, k := range keys {
				if o.Key == k {
					last, found = o, true
				}
			}
		}
	}
	return last, found
}

// list returns the options of a list-valued key after the last empty
// assignment, which resets the list.
func (l *linter) list(section, key string) []Option {
	os := l.u.Options(section, key)
	for i := len(os) - 1; i >= 0; i-- {
		if os[i].Value == "" {
			return os[i+1:]
		}
	}
	return os
}

// word reports whether the dependency key of section names the unit w
// among its space-separated names, and the line of the first option that
// does. An empty assignment does not reset dependencies.
func (l *linter) word(section, key, w string) (int, bool) {
	for _, s := range l.u.Sections {
		if s.Name != section {
			continue
		}
		for _, o := range s.Options {
			if o.Key != key {
				continue
			}
			for f := range strings.FieldsSeq(o.Value) {
				if f == w {
					return o.Line, true
				}
			}
		}
	}
	return 0, false
}

// IsStopHook reports whether u is shaped as a stop hook, so that [Lint]
// checks it with every rule: a Type=oneshot service (Type= given, or
// implied by a [Service] with no ExecStart=) or a service with an
// ExecStop= line. Any other service (a daemon: Type=simple, exec,
// notify, forking, dbus or idle, with no ExecStop=) stops by a signal,
// and only the rules that hold for every service apply to it.
func IsStopHook(u *Unit) bool {
	if len(u.Options("Service", "ExecStop")) > 0 {
		return true
	}
	return serviceType(u) == "oneshot"
}

// serviceType is the Type= of u's [Service] as systemd reads it: the last
// assignment, else oneshot when there is no ExecStart=, else simple.
func serviceType(u *Unit) string {
	if os := u.Options("Service", "Type"); len(os) > 0 {
		return os[len(os)-1].Value
	}
	if len(u.Options("Service", "ExecStart")) == 0 {
		return "oneshot"
	}
	return "simple"
}

// daemonRules are the rules that hold for every service, a daemon's too:
// what makes systemd refuse or misread a line, and an ordering that
// orders nothing. The rest are about a stop command that must run at
// shutdown, which a daemon does not have.
var daemonRules = map[string]bool{
	"network-online-wants": true,
	"exec-syntax":          true,
	"exec-path-special":    true,
	"exec-not-absolute":    true,
	"exec-shell-syntax":    true,
	"percent-unknown":      true,
	"percent-specifier":    true,
	"timeout-stop-invalid": true,
	"mounts-x20":           true,
}

func (l *linter) run() {
	l.runAll()
	if IsStopHook(l.u) {
		return
	}
	kept := l.diags[:0]
	for _, d := range l.diags {
		if daemonRules[d.Rule] {
			kept = append(kept, d)
		}
	}
	l.diags = kept
}

func (l *linter) runAll() {
	svc := l.headerLine("Service")
	stops := l.list("Service", "ExecStop")

	// no-exec-stop, exec-stop-multiple
	if len(stops) == 0 {
		l.add(svc, "no-exec-stop", "no ExecStop= in [Service]; add ExecStop=/absolute/path/to/deregister, the command to run at shutdown")
	} else if len(stops) > 1 {
		l.add(stops[1].Line, "exec-stop-multiple", "%d ExecStop= lines: a failure or timeout in one skips the rest; put the steps in one script and give one ExecStop=", len(stops))
	}

	// remain-after-exit
	typ := serviceType(l.u)
	typeLine := svc
	if o, ok := l.last("Service", "Type"); ok {
		typeLine = o.Line
	}
	if typ == "oneshot" && len(stops) > 0 {
		o, ok := l.last("Service", "RemainAfterExit")
		if b, valid := parseBool(o.Value); !ok || !valid || !b {
			line := typeLine
			if ok {
				line = o.Line
			}
			l.add(line, "remain-after-exit", "Type=oneshot without RemainAfterExit=yes: the service is inactive once ExecStart= ends, so ExecStop= never runs; add RemainAfterExit=yes to [Service]")
		}
	}

	// network-online-wants, deadlock-after
	if line, ok := l.word("Unit", "After", "network-online.target"); ok {
		_, w := l.word("Unit", "Wants", "network-online.target")
		_, r := l.word("Unit", "Requires", "network-online.target")
		if !w && !r {
			l.add(line, "network-online-wants", "After=network-online.target without Wants=network-online.target: the target may have no job and the ordering does nothing; add Wants=network-online.target")
		}
	}
	if len(stops) > 0 {
		_, online := l.word("Unit", "After", "network-online.target")
		_, network := l.word("Unit", "After", "network.target")
		if !online && !network {
			line := l.headerLine("Unit")
			if line == 0 {
				line = svc
			}
			l.add(line, "network-after", "the hook is not ordered after network.target or network-online.target, so ExecStop= may run after the network is down; add After=network-online.target network.target and Wants=network-online.target to [Unit]")
		}
	}
	for _, t := range deadlockTargets {
		if line, ok := l.word("Unit", "After", t); ok {
			l.add(line, "deadlock-after", "After=%s: runcmd runs inside cloud-final.service, and starting this unit from there waits for itself; remove %s from After= (arm the hook with systemctl enable --now --no-block)", t, t)
		}
	}

	// default-dependencies
	if o, ok := l.last("Unit", "DefaultDependencies"); ok {
		if b, valid := parseBool(o.Value); valid && !b {
			_, c := l.word("Unit", "Conflicts", "shutdown.target")
			_, bf := l.word("Unit", "Before", "shutdown.target")
			if !c || !bf {
				l.add(o.Line, "default-dependencies", "DefaultDependencies=no drops Conflicts=shutdown.target and Before=shutdown.target, so shutdown does not stop this unit in order; remove the line or add both")
			}
		}
	}

	// exec lines
	for _, s := range l.u.Sections {
		if s.Name != "Service" {
			continue
		}
		for _, o := range s.Options {
			if !strings.HasPrefix(o.Key, "Exec") || o.Value == "" {
				continue
			}
			l.execLine(o)
		}
	}

	// percent-specifier, percent-unknown, in every value
	for _, s := range l.u.Sections {
		for _, o := range s.Options {
			l.specifiers(o)
		}
	}

	// timeouts
	l.timeout(svc)
	if typ == "oneshot" {
		l.startTimeout()
	}

	// mounts
	var mounts []string
	for _, o := range l.u.Options("Unit", "RequiresMountsFor") {
		if o.Value == "" {
			continue // an empty assignment does not reset the list
		}
		if strings.Contains(o.Value, `\x`) {
			l.add(o.Line, "mounts-x20", "RequiresMountsFor=%s: systemd does not decode \\x escapes here (\\x20 is read as x20); write the path in double quotes, e.g. \"/mnt/shared data\"", o.Value)
		}
		ps := splitUnquote(o.Value)
		mounts = append(mounts, ps...)
		l.add(o.Line, "mounts-required", "RequiresMountsFor=%s: if one of these fails to mount at boot, the hook is never started and ExecStop= never runs", o.Value)
	}
	if len(stops) > 0 {
		if c, err := ParseExec(stops[len(stops)-1].Value); err == nil && path.IsAbs(c.Path) && !covered(c.Path, mounts) && !covered(c.Path, rootDirs) {
			l.add(stops[len(stops)-1].Line, "exec-stop-mount", "ExecStop= program %s is not under any RequiresMountsFor= path: if it lives on a network file system, add RequiresMountsFor=%s (or the mount point) so it stays mounted until the hook is done", c.Path, path.Dir(c.Path))
		}
	}

	// install-wanted-by
	if len(l.list("Install", "WantedBy")) == 0 && len(l.list("Install", "RequiredBy")) == 0 {
		l.add(l.headerLine("Install"), "install-wanted-by", "no WantedBy= in [Install]: systemctl enable does nothing and the hook is not started at boot; add [Install] WantedBy=multi-user.target")
	}
}

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true, "env": true}

var shellOperators = map[string]bool{"|": true, "||": true, "&&": true, "&": true, ">": true, ">>": true, "<": true, "<<": true, "2>": true, "2>>": true, "2>&1": true, ">&2": true, "1>&2": true, "&>": true, "|&": true}

func (l *linter) execLine(o Option) {
	c, err := ParseExec(o.Value)
	if err != nil {
		l.add(o.Line, "exec-syntax", "%s=: %v", o.Key, strings.TrimPrefix(err.Error(), "unit: "))
		return
	}
	if err := CheckExecPath(c.Path); err != nil {
		var pe *ExecPathError
		errors.As(err, &pe)
		l.add(o.Line, "exec-path-special", "%s=: program %s contains %s, which systemd refuses (\"Executable name contains special characters\"): the unit will not load; move or link the program to a path without quotes, backslashes or control characters", o.Key, strconv.QuoteToASCII(c.Path), describeByte(pe.Byte))
	}
	if !path.IsAbs(c.Path) {
		l.add(o.Line, "exec-not-absolute", "%s=: program %q is not an absolute path; write the full path, e.g. /usr/bin/%s", o.Key, c.Path, path.Base(c.Path))
	}
	if o.Key == "ExecStop" && c.IgnoreFailure {
		l.add(o.Line, "exec-stop-ignore-failure", "ExecStop= with the '-' prefix records a failed deregistration as success; drop the '-' so the failure shows in systemctl status and the journal")
	}
	if shells[path.Base(c.Path)] {
		return
	}
	for _, a := range c.Args {
		if shellOperators[a] || strings.HasPrefix(a, "$(") || strings.HasPrefix(a, "`") || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") || strings.HasPrefix(a, "<") {
			l.add(o.Line, "exec-shell-syntax", "%s=: %q is shell syntax, but no shell runs this line; it is passed to %s as an argument; use /bin/sh -c '...' or put the commands in a script", o.Key, a, c.Path)
			return
		}
	}
}

// knownSpecifiers are the specifier letters systemd 252 resolves in unit
// files [man systemd.unit, "Specifiers"]; TestSpecifiersSystemd checks the
// list against the real systemd-analyze. '%' followed by any other letter or
// digit is an error; followed by anything else, or at the end of a value,
// it is kept as written.
const knownSpecifiers = "aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY"

// newerSpecifiers are letters systemd 257 resolves (%D: the shared data
// directory) that systemd 252 does not know, so that a unit using them
// fails there: still percent-unknown, with both versions named
// (docs/versions.md; TestSpecifiersSystemd checks it on both judges).
const newerSpecifiers = "D"

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (l *linter) specifiers(o Option) {
	v := o.Value
	for i := 0; i+1 < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		i++
		c := v[i]
		switch {
		case c == '%' || !isAlnum(c):
		case strings.IndexByte(newerSpecifiers, c) >= 0:
			l.add(o.Line, "percent-unknown", "%s=: %%%c is not a specifier systemd 252 knows, so it rejects the value there (systemd 257 replaces %%%c with a directory); write %%%%%c for a literal percent sign", o.Key, c, c, c)
		case strings.IndexByte(knownSpecifiers, c) >= 0:
			l.add(o.Line, "percent-specifier", "%s=: %%%c is a specifier that systemd replaces; if you meant a literal percent sign (date +%%%c, say), write %%%%%c", o.Key, c, c, c)
		default:
			l.add(o.Line, "percent-unknown", "%s=: %%%c is not a specifier systemd 252 knows (or a deprecated one): it rejects or warns about the value; write %%%%%c for a literal percent sign", o.Key, c, c)
		}
	}
}

func (l *linter) timeout(svc int) {
	o, ok := l.lastOf("Service", "TimeoutStopSec", "TimeoutSec")
	if !ok || o.Value == "" {
		line := svc
		if ok {
			line = o.Line
		}
		l.add(line, "timeout-stop-missing", "no TimeoutStopSec=: the stop command gets the manager default (90 s unless changed); add TimeoutStopSec=60 and bound every network call in the script")
		return
	}
	d, inf, err := parseTimespan(o.Value)
	switch {
	case err != nil:
		l.add(o.Line, "timeout-stop-invalid", "%s=%s: %v; write a span such as 60 or 1min 30s", o.Key, o.Value, err)
	case inf || d == 0:
		l.add(o.Line, "timeout-stop-infinite", "%s=%s disables the stop timeout, so a hanging command holds up shutdown for ever; set TimeoutStopSec=60", o.Key, o.Value)
	case d > 90*time.Second:
		l.add(o.Line, "timeout-stop-long", "%s=%s is over 90 s: systemd's default and the time a cloud instance gets are shorter; keep it at 60 s or less and bound the network calls", o.Key, o.Value)
	}
}

// trivialStarts are ExecStart= programs that cannot hang.
var trivialStarts = map[string]bool{"/bin/true": true, "/usr/bin/true": true}

func (l *linter) startTimeout() {
	var work *Option
	for _, o := range l.list("Service", "ExecStart") {
		if c, err := ParseExec(o.Value); err == nil && !trivialStarts[c.Path] {
			o := o
			work = &o
			break
		}
	}
	if work == nil {
		return
	}
	if o, ok := l.lastOf("Service", "TimeoutStartSec", "TimeoutSec"); ok && o.Value != "" {
		return
	}
	l.add(work.Line, "timeout-start-missing", "ExecStart= of a oneshot has no timeout and multi-user.target waits for it, so a hanging command holds up boot; add TimeoutStartSec=60 and bound the network calls")
}

func covered(p string, dirs []string) bool {
	for _, d := range dirs {
		if d == "/" || p == d || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// splitUnquote splits a value the way systemd reads RequiresMountsFor=
// (extract_first_word with EXTRACT_UNQUOTE): whitespace separates words,
// quotes group, a backslash takes the next character literally, "%%" is '%'.
func splitUnquote(s string) []string {
	var words []string
	var b strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			in = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
			in = true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, b.String())
				b.Reset()
				in = false
			}
		case c == '%' && i+1 < len(s) && s[i+1] == '%':
			i++
			b.WriteByte('%')
			in = true
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, b.String())
	}
	return words
}

// parseBool reads a boolean as systemd does.
func parseBool(s string) (value, valid bool) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

var timeUnits = []struct {
	names []string
	d     time.Duration
}{
	{[]string{"usec", "us", "µs", "μs"}, time.Microsecond},
	{[]string{"msec", "ms"}, time.Millisecond},
	{[]string{"seconds", "second", "sec", "s"}, time.Second},
	{[]string{"minutes", "minute", "min", "m"}, time.Minute},
	{[]string{"hours", "hour", "hr", "h"}, time.Hour},
	{[]string{"days", "day", "d"}, 24 * time.Hour},
	{[]string{"weeks", "week", "w"}, 7 * 24 * time.Hour},
	{[]string{"months", "month", "M"}, 2629800 * time.Second},
	{[]string{"years", "year", "y"}, 31557600 * time.Second},
}

// parseTimespan reads a systemd time span [man systemd.time]: "infinity",
// or numbers each followed by an optional unit, seconds by default.
func parseTimespan(s string) (d time.Duration, infinite bool, err error) {
	s = strings.TrimSpace(s)
	if s == "infinity" {
		return 0, true, nil
	}
	if s == "" {
		return 0, false, fmt.Errorf("empty time span")
	}
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, false, fmt.Errorf("%q is not a number", s)
		}
		n, perr := strconv.ParseFloat(s[:i], 64)
		if perr != nil {
			return 0, false, fmt.Errorf("%q is not a number", s[:i])
		}
		s = strings.TrimLeft(s[i:], " \t")
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9') && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		unit := time.Second
		if j > 0 {
			found := false
			for _, u := range timeUnits {
				for _, name := range u.names {
					if s[:j] == name {
						unit, found = u.d, true
					}
				}
			}
			if !found {
				return 0, false, fmt.Errorf("unknown time unit %q", s[:j])
			}
		}
		if n*float64(unit) > float64(1<<62) {
			return 0, true, nil
		}
		d += time.Duration(n * float64(unit))
		s = strings.TrimLeft(s[j:], " \t")
	}
	return d, false, nil
}
