package unit

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/udkit/udkit/diag"
)

// DefaultStopTimeout is the TimeoutStopSec= of a [StopHook] when the
// configuration gives none: within the 90 s systemd allows by default and
// the two-minute notice of an EC2 spot interruption.
const DefaultStopTimeout = 60 * time.Second

// MaxStopTimeout is the longest stop timeout [StopHook] accepts, systemd's
// default DefaultTimeoutStopSec. A longer one holds up every shutdown and
// still has no guarantee to run to the end on a cloud instance.
const MaxStopTimeout = 90 * time.Second

// StopHookConfig describes a stop hook: a service that does nothing (or
// registers) when it starts at boot and runs Stop when it is stopped at
// shutdown, reboot or `systemctl stop`.
type StopHookConfig struct {
	// Name is the unit's name, with or without ".service": letters, digits,
	// ':', '_', '.' and '-'. It also names the environment file, the
	// syslog identifier and the description.
	Name string
	// Stop is the command run at shutdown: an absolute program path and its
	// arguments, run without a shell (see [Exec]). Required.
	Stop []string
	// Start, if set, runs at every boot instead of /bin/true: register on
	// each boot rather than once per instance from runcmd. multi-user.target
	// waits for it, and a oneshot has no start timeout by default, so
	// TimeoutStartSec= is then set to Timeout as well.
	Start []string
	// Mounts are the absolute paths the commands need; they become
	// RequiresMountsFor=, which keeps those file systems mounted until Stop
	// is done. If one of them fails to mount at boot, the hook is never
	// started and Stop never runs.
	Mounts []string
	// Timeout is TimeoutStopSec=: zero means [DefaultStopTimeout]; it must
	// be a whole number of seconds from 1 s to [MaxStopTimeout].
	Timeout time.Duration
	// EnvironmentFile is read for Environment variables; a leading '-'
	// makes it optional. Empty means "-/etc/default/NAME".
	EnvironmentFile string
	// User runs the commands as this user instead of root.
	User string
	// Description is the unit's Description=; empty means "Deregister NAME
	// at shutdown" (or "Register NAME at boot and deregister it at shutdown"
	// with Start).
	Description string
	// ResolvesNames adds After=nss-lookup.target (without Wants=), so that
	// name resolution still works while Stop runs; set it when the command
	// contacts a host by name.
	ResolvesNames bool
	// RefuseManualStop adds RefuseManualStop=yes: `systemctl stop` by an
	// operator is refused, so the hook fires only at shutdown and reboot.
	// (It also refuses `systemctl restart`.)
	RefuseManualStop bool
}

// Hook is a stop-hook unit and the commands that arm it.
type Hook struct {
	// Name is the unit name, "NAME.service".
	Name string
	// Path is where the unit file goes: /etc/systemd/system/NAME.service.
	Path string
	// Unit is the unit; Unit.Marshal gives the file's contents.
	Unit *Unit
	// Arm are the commands, as argv lists for cloud-init's runcmd, that
	// load and start the unit once its file is written: a daemon-reload,
	// then `systemctl enable --now --no-block NAME.service`. --now starts
	// it (ExecStop only runs for a unit that started) and --no-block keeps
	// runcmd, which runs inside cloud-final.service, from waiting on a job
	// that waits for cloud-final.
	Arm [][]string
}

// StopHook builds the canonical stop-hook unit:
//
//	[Unit]
//	Description=Deregister NAME at shutdown
//	Wants=network-online.target
//	After=network-online.target network.target remote-fs.target
//	RequiresMountsFor=/mnt/shared
//
//	[Service]
//	Type=oneshot
//	RemainAfterExit=yes
//	ExecStart=/bin/true
//	ExecStop=/mnt/shared/bin/deregister
//	TimeoutStopSec=60
//	EnvironmentFile=-/etc/default/NAME
//	SyslogIdentifier=NAME
//
//	[Install]
//	WantedBy=multi-user.target
//
// RequiresMountsFor= is left out without Mounts; User= follows
// EnvironmentFile= when set; ResolvesNames appends nss-lookup.target to
// After=, and RefuseManualStop adds RefuseManualStop=yes to [Unit]. With
// Start, ExecStart= runs it and TimeoutStartSec= precedes TimeoutStopSec=. The unit is ordered after the network so that,
// stopping in reverse order, Stop runs while the network is still up; it is
// never ordered after cloud-final.service or the boot targets, which would
// deadlock the arming commands. A config that [StopHookConfig.Check]
// finds problems in gives a *[StopHookError] listing them all, each with
// its field.
func StopHook(c StopHookConfig) (*Hook, error) {
	probs, stop, start := c.check()
	if len(probs) > 0 {
		return nil, &StopHookError{Problems: probs}
	}
	name := strings.TrimSuffix(c.Name, ".service")
	full := name + ".service"
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultStopTimeout
	}
	mounts := requiresMountsFor(c.Mounts)
	envFile := c.environmentFile(name)
	desc := c.description(name)
	desc = strings.ReplaceAll(desc, "%", "%%")

	// The three sections, in the order Add would create them, with room
	// for every option they can get: no slice grows.
	u := &Unit{Sections: []Section{
		{Name: "Unit", Options: make([]Option, 0, 5)},
		{Name: "Service", Options: make([]Option, 0, 10)},
		{Name: "Install", Options: make([]Option, 0, 1)},
	}}
	u.Add("Unit", "Description", desc)
	u.Add("Unit", "Wants", "network-online.target")
	after := "network-online.target network.target remote-fs.target"
	if c.ResolvesNames {
		after += " nss-lookup.target"
	}
	u.Add("Unit", "After", after)
	if mounts != "" {
		u.Add("Unit", "RequiresMountsFor", mounts)
	}
	if c.RefuseManualStop {
		u.Add("Unit", "RefuseManualStop", "yes")
	}
	u.Add("Service", "Type", "oneshot")
	u.Add("Service", "RemainAfterExit", "yes")
	u.Add("Service", "ExecStart", start)
	u.Add("Service", "ExecStop", stop)
	if len(c.Start) > 0 {
		u.Add("Service", "TimeoutStartSec", strconv.Itoa(int(timeout/time.Second)))
	}
	u.Add("Service", "TimeoutStopSec", strconv.Itoa(int(timeout/time.Second)))
	u.Add("Service", "EnvironmentFile", envFile)
	if c.User != "" {
		u.Add("Service", "User", c.User)
	}
	u.Add("Service", "SyslogIdentifier", name)
	u.Add("Install", "WantedBy", "multi-user.target")
	if _, err := u.Marshal(); err != nil {
		return nil, &StopHookError{Problems: diag.List{{Severity: diag.Error, Rule: RuleStopHookConfig, Message: err.Error()}}}
	}
	return &Hook{
		Name: full,
		Path: "/etc/systemd/system/" + full,
		Unit: u,
		Arm: [][]string{
			{"systemctl", "daemon-reload"},
			{"systemctl", "enable", "--now", "--no-block", full},
		},
	}, nil
}

// requiresMountsFor renders paths as a RequiresMountsFor= value: absolute,
// normalized, de-duplicated, in the given order; a path with whitespace is
// double-quoted (systemd does not decode \x20 there). Check has checked
// the paths.
func requiresMountsFor(paths []string) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, quoteMountPath(p))
	}
	return strings.Join(out, " ")
}

// quoteMountPath writes one path of RequiresMountsFor=: '%' doubled, and
// double quotes around a path with whitespace, quotes or backslashes, inside
// which '"' and '\' are backslash-escaped.
func quoteMountPath(p string) string {
	p = strings.ReplaceAll(p, "%", "%%")
	if !strings.ContainsAny(p, " \t\"'\\") {
		return p
	}
	return `"` + mountQuoter.Replace(p) + `"`
}

var mountQuoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func checkUser(u string) error {
	if len(u) > 256 {
		return fmt.Errorf("%q is too long", u)
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') || i == 0 && c == '-' {
			return fmt.Errorf("%q is not a user name or UID; use letters, digits, '_', '-' and '.'", u)
		}
	}
	return nil
}

// RuleStopHookConfig is the rule id of the problems
// [StopHookConfig.Check] finds.
const RuleStopHookConfig = "stop-hook-config"

// StopHookError is the error of [StopHook]: every problem of the config,
// each a [diag.Diagnostic] whose Path is the field of [StopHookConfig]
// it is about ("Name", "Stop", "Start", "Timeout", "Mounts[1]",
// "EnvironmentFile", "User", "Description"), so that a caller can map it
// to its own input without reading the message.
type StopHookError struct {
	Problems diag.List
}

// Error lists the problems as "unit: stop hook: FIELD: MESSAGE", joined
// by "; ".
func (e *StopHookError) Error() string {
	var b strings.Builder
	b.WriteString("unit: stop hook: ")
	for i, d := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if d.Path != "" {
			b.WriteString(d.Path)
			b.WriteString(": ")
		}
		b.WriteString(d.Message)
	}
	return b.String()
}

// Check returns every problem of c that [StopHook] refuses, each with the
// field it is about in Path, severity [diag.Error] and rule
// [RuleStopHookConfig]; nil when c is usable.
func (c StopHookConfig) Check() diag.List {
	probs, _, _ := c.check()
	return probs
}

// check is Check that also returns the rendered ExecStop= and ExecStart=
// values (ExecStart= is /bin/true without Start).
func (c StopHookConfig) check() (out diag.List, stop, start string) {
	start = "/bin/true"
	add := func(field, format string, args ...any) {
		out = append(out, diag.Diagnostic{Path: field, Severity: diag.Error, Rule: RuleStopHookConfig, Message: fmt.Sprintf(format, args...)})
	}
	name := strings.TrimSuffix(c.Name, ".service")
	switch {
	case name == "":
		add("Name", "is empty; give the service a name such as \"deregister\"")
	case name[0] == '.' || name[0] == '-':
		add("Name", "%q starts with %q; start it with a letter or digit", c.Name, name[0])
	default:
		bad := false
		for i := 0; i < len(name); i++ {
			if ch := name[i]; !validNameChar(ch) || ch == '\\' {
				add("Name", "%q has character %q; use letters, digits, ':', '_', '.' and '-'", c.Name, ch)
				bad = true
				break
			}
		}
		if !bad {
			if err := ValidName(name + ".service"); err != nil {
				add("Name", "%v", err)
			}
		}
	}
	if len(c.Stop) == 0 {
		add("Stop", "is empty; give the command that deregisters, e.g. []string{\"/usr/local/bin/deregister\"}")
	} else if v, err := Exec(c.Stop); err != nil {
		add("Stop", "%v", err)
	} else {
		stop = v
	}
	if len(c.Start) > 0 {
		if v, err := Exec(c.Start); err != nil {
			add("Start", "%v", err)
		} else {
			start = v
		}
	}
	if t := c.Timeout; t != 0 && (t < time.Second || t > MaxStopTimeout || t%time.Second != 0) {
		add("Timeout", "%v: give a whole number of seconds from 1s to %v (0 means %v)", c.Timeout, MaxStopTimeout, DefaultStopTimeout)
	}
	for i, p := range c.Mounts {
		field := fmt.Sprintf("Mounts[%d]", i)
		if err := checkText(p); err != nil {
			add(field, "%q: %v", p, err)
		} else if !path.IsAbs(p) || path.Clean(p) != p {
			add(field, "%q: give a normalized absolute path such as %q", p, path.Clean("/"+p))
		}
	}
	if c.EnvironmentFile != "" {
		envFile := c.EnvironmentFile
		if p := strings.TrimPrefix(envFile, "-"); !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, " \t%$\\\"'") || checkText(p) != nil {
			add("EnvironmentFile", "%q: give a normalized absolute path without spaces, quotes, '%%', '$' or '\\' (a leading '-' makes it optional)", c.EnvironmentFile)
		}
	}
	if c.User != "" {
		if err := checkUser(c.User); err != nil {
			add("User", "%v", err)
		}
	}
	if name != "" {
		if err := checkValue(c.description(name)); err != nil {
			add("Description", "%v", err)
		}
	}
	return out, stop, start
}

func (c StopHookConfig) environmentFile(name string) string {
	if c.EnvironmentFile == "" {
		return "-/etc/default/" + name
	}
	return c.EnvironmentFile
}

func (c StopHookConfig) description(name string) string {
	if c.Description != "" {
		return c.Description
	}
	if len(c.Start) > 0 {
		return "Register " + name + " at boot and deregister it at shutdown"
	}
	return "Deregister " + name + " at shutdown"
}
