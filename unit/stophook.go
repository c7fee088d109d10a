package unit

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
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
// deadlock the arming commands. Errors name the field and say what to
// change.
func StopHook(c StopHookConfig) (*Hook, error) {
	name := strings.TrimSuffix(c.Name, ".service")
	if name == "" {
		return nil, errors.New("unit: stop hook: Name is empty; give the service a name such as \"deregister\"")
	}
	for i := 0; i < len(name); i++ {
		if ch := name[i]; !validNameChar(ch) || ch == '\\' {
			return nil, fmt.Errorf("unit: stop hook: Name %q has character %q; use letters, digits, ':', '_', '.' and '-'", c.Name, ch)
		}
	}
	if name[0] == '.' || name[0] == '-' {
		return nil, fmt.Errorf("unit: stop hook: Name %q starts with %q; start it with a letter or digit", c.Name, name[0])
	}
	full := name + ".service"
	if err := ValidName(full); err != nil {
		return nil, fmt.Errorf("unit: stop hook: Name: %w", err)
	}
	if len(c.Stop) == 0 {
		return nil, errors.New("unit: stop hook: Stop is empty; give the command that deregisters, e.g. []string{\"/usr/local/bin/deregister\"}")
	}
	stop, err := Exec(c.Stop)
	if err != nil {
		return nil, fmt.Errorf("unit: stop hook: Stop: %w", err)
	}
	start := "/bin/true"
	if len(c.Start) > 0 {
		if start, err = Exec(c.Start); err != nil {
			return nil, fmt.Errorf("unit: stop hook: Start: %w", err)
		}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultStopTimeout
	}
	if timeout < time.Second || timeout > MaxStopTimeout || timeout%time.Second != 0 {
		return nil, fmt.Errorf("unit: stop hook: Timeout %v: give a whole number of seconds from 1s to %v (0 means %v)", c.Timeout, MaxStopTimeout, DefaultStopTimeout)
	}
	mounts, err := requiresMountsFor(c.Mounts)
	if err != nil {
		return nil, fmt.Errorf("unit: stop hook: %w", err)
	}
	envFile := c.EnvironmentFile
	if envFile == "" {
		envFile = "-/etc/default/" + name
	}
	if p := strings.TrimPrefix(envFile, "-"); !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, " \t%$\\\"'") || checkText(p) != nil {
		return nil, fmt.Errorf("unit: stop hook: EnvironmentFile %q: give a normalized absolute path without spaces, quotes, '%%', '$' or '\\' (a leading '-' makes it optional)", c.EnvironmentFile)
	}
	if c.User != "" {
		if err := checkUser(c.User); err != nil {
			return nil, fmt.Errorf("unit: stop hook: User: %w", err)
		}
	}
	desc := c.Description
	if desc == "" {
		if len(c.Start) > 0 {
			desc = "Register " + name + " at boot and deregister it at shutdown"
		} else {
			desc = "Deregister " + name + " at shutdown"
		}
	}
	if err := checkValue(desc); err != nil {
		return nil, fmt.Errorf("unit: stop hook: Description: %w", err)
	}
	desc = strings.ReplaceAll(desc, "%", "%%")

	u := &Unit{}
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
		return nil, fmt.Errorf("unit: stop hook: %w", err)
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
// double-quoted (systemd does not decode \x20 there).
func requiresMountsFor(paths []string) (string, error) {
	var out []string
	seen := map[string]bool{}
	for i, p := range paths {
		if err := checkText(p); err != nil {
			return "", fmt.Errorf("Mounts[%d] %q: %w", i, p, err)
		}
		if !path.IsAbs(p) || path.Clean(p) != p {
			return "", fmt.Errorf("Mounts[%d] %q: give a normalized absolute path such as %q", i, p, path.Clean("/"+p))
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, quoteMountPath(p))
	}
	return strings.Join(out, " "), nil
}

// quoteMountPath writes one path of RequiresMountsFor=: '%' doubled, and
// double quotes around a path with whitespace, quotes or backslashes, inside
// which '"' and '\' are backslash-escaped.
func quoteMountPath(p string) string {
	p = strings.ReplaceAll(p, "%", "%%")
	if !strings.ContainsAny(p, " \t\"'\\") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(p) + `"`
}

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
