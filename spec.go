package udkit

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/udkit/udkit/cloudconfig"
)

// DefaultScriptDir is where Build writes the register and deregister
// scripts given as a body ([Action.Script]) when the spec names no
// [Action.Path]: /usr/local/sbin/NAME-register and
// /usr/local/sbin/NAME-deregister, mode 0755, owned by root.
const DefaultScriptDir = "/usr/local/sbin"

// Spec is what an instance must do to join its cluster at launch and leave
// it at shutdown. [Build] turns it into user data.
type Spec struct {
	// Name names the instance's role, such as "managed-server": letters,
	// digits, '-', '_', '.' and ':'. The stop hook is NAME-deregister.service,
	// the environment file /etc/default/NAME.
	Name string
	// Register registers the instance at launch. Optional: without it
	// the instance only deregisters.
	Register *Action
	// Deregister deregisters the instance; the stop hook runs it at
	// shutdown, reboot and `systemctl stop`. Required.
	Deregister Action
	// Mounts are the absolute paths the register and deregister commands
	// need mounted (an NFS share, say). They become RequiresMountsFor= of
	// the stop hook, which keeps them mounted until deregistration ends. If
	// one of them fails to mount at boot, the hook never starts and never
	// deregisters.
	Mounts []string
	// StopTimeout bounds deregistration (TimeoutStopSec=): zero means
	// [unit.DefaultStopTimeout], at most [unit.MaxStopTimeout].
	StopTimeout time.Duration
	// User runs the register and deregister commands as this user instead
	// of root.
	User string
	// Environment is written, in order, to /etc/default/NAME (mode 0600,
	// root:root), which the stop hook reads and the launch-time
	// registration sources. Values may not hold newlines, quotes or
	// backslashes, so that systemd and /bin/sh read the file alike.
	Environment []EnvVar
	// Files are written by cloud-init's write_files, after the files
	// udkit writes.
	Files []cloudconfig.WriteFile
	// CloudConfig is extra cloud-config (mounts, packages, users, ...).
	// udkit appends its own write_files and runcmd entries to its lists,
	// so its runcmd commands run before the hook is armed and the instance
	// registered. Not modified.
	CloudConfig *cloudconfig.Config
	// Registry, instead of Register and Deregister, registers the
	// instance with a udkit registry (cmd/udkitd): Build generates both
	// scripts with registry.RegisterScript and registry.DeregisterScript
	// and writes them to DefaultScriptDir/NAME-register and
	// DefaultScriptDir/NAME-deregister.
	Registry *RegistryHook
	// Parts are extra user-data parts, after udkit's cloud-config part.
	// A cloud-config part without a MergeType gets
	// [cloudconfig.MergeAppend] (as does udkit's own part then), so that
	// it adds to udkit's runcmd and write_files instead of replacing them.
	Parts []Part
}

// Action is a command or a script body that registers or deregisters the
// instance. Give exactly one of Command and Script.
type Action struct {
	// Command is an absolute program path and its arguments, run without
	// a shell. A program on one of the spec's Mounts (a script on the
	// NFS share) is referenced, never written.
	Command []string
	// Script is a script body starting with "#!"; Build writes it to
	// Path with mode 0755 and runs it.
	Script string
	// Path is where Script is written; empty means
	// DefaultScriptDir/NAME-register or DefaultScriptDir/NAME-deregister.
	// It may not lie under one of the spec's Mounts: the mount would hide
	// the file.
	Path string
	// EveryBoot, for Register only, registers on every boot as the stop
	// hook's start command (ExecStart=) instead of once per instance from
	// runcmd. A failing registration then leaves the hook failed, and a
	// failed hook does not deregister at shutdown.
	EveryBoot bool
}

// RegistryHook registers the instance with a udkit registry at launch and
// deregisters it at shutdown.
type RegistryHook struct {
	// URL is the registry's base URL; prefer https, the tokens travel in
	// its requests.
	URL string
	// Cluster is the cluster the instance joins.
	Cluster string
	// JoinTokenFile is the absolute path on the instance of the file that
	// holds the cluster's join token.
	JoinTokenFile string
	// JoinToken, if set, is written to JoinTokenFile (0600 root:root).
	// User data is readable through the instance metadata service by any
	// process on the instance: a join token only lets its holder register
	// in this one cluster, but prefer provisioning the file some other way
	// (image, secrets manager) where you can.
	JoinToken string
	// CAFile is the absolute path on the instance of a PEM CA bundle the
	// scripts trust for an https URL; empty uses the system's CAs.
	CAFile string
	// CA, if set, is written to CAFile (0644 root:root).
	CA string
	// Labels are sent with the registration.
	Labels map[string]string
	// StateDir is where the scripts keep the member token; empty means
	// registry.DefaultStateDir.
	StateDir string
	// EveryBoot registers on every boot from the stop hook's ExecStart=
	// instead of once per instance from runcmd.
	EveryBoot bool
}

// EnvVar is one NAME=value line of the environment file.
type EnvVar struct {
	Name  string
	Value string
}

// Part is an extra user-data part.
type Part struct {
	// ContentType is the MIME type, such as "text/x-shellscript".
	ContentType string
	// Filename names the part; cloud-init runs shell scripts sorted by
	// it, and the runcmd commands run as a script called "runcmd" among
	// them.
	Filename string
	// MergeType is the X-Merge-Type header of a cloud-config part.
	MergeType string
	// Body is the content.
	Body []byte
}

// SpecError lists every problem of a spec, each with its field path.
type SpecError struct {
	Problems []Problem
}

// Problem is one invalid field of a spec.
type Problem struct {
	// Path is the field, as in the YAML spec file: "deregister.command[0]".
	Path string
	// Line is the line in the spec file, 0 for a spec built in Go.
	Line int
	// Message says what is wrong and what to do.
	Message string
}

// String formats p as "line N: PATH: MESSAGE" ("PATH: MESSAGE" without a
// line).
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Path, p.Message)
	}
	return p.Path + ": " + p.Message
}

// Error lists the problems, one per line after the first.
func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString("udkit: invalid spec")
	if len(e.Problems) == 1 {
		b.WriteString(": ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, " (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// validName reports whether s is usable as the spec's name.
func validName(s string) bool {
	if s == "" || len(s) > 200 || s[0] == '-' || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// underMount returns the mount of mounts that p lies on, or "".
func underMount(p string, mounts []string) string {
	p = path.Clean(p)
	best := ""
	for _, m := range mounts {
		m = path.Clean(m)
		if m == "/" {
			continue
		}
		if (p == m || strings.HasPrefix(p, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	return best
}
