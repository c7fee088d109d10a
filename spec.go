package udkit

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
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
	// shutdown, reboot and `systemctl stop`. Required unless Registry is
	// set. Register and Deregister have the same type: nil is absent.
	Deregister *Action
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
	// Renew, when set, renews the member's lease every Renew, for a
	// cluster with a lease (`udkitd lease set`): Build writes the renew
	// script (registry.RenewScript) to DefaultScriptDir/NAME-renew, a
	// timer NAME-renew.timer and the oneshot NAME-renew.service it
	// starts, and arms the timer in the runcmd that arms the stop hook.
	// Give a third of the cluster's lease TTL or less (30s for 90s);
	// whole seconds from 5s to 1h. An instance the registry evicted while
	// it lived registers again at its next renewal.
	Renew time.Duration
}

// Bounds of RegistryHook.Renew.
const (
	MinRenewInterval = 5 * time.Second
	MaxRenewInterval = time.Hour
)

// EnvVar is one NAME=value line of the environment file.
type EnvVar struct {
	Name  string
	Value string
}

// Part is an extra user-data part: its ContentType (such as
// "text/x-shellscript"), Filename (cloud-init runs shell scripts sorted by
// it, and the runcmd commands run as a script called "runcmd" among them),
// MergeType (the X-Merge-Type header of a cloud-config part) and Body.
type Part = userdata.Part

// Content types of the parts cloud-init acts on, for [Part.ContentType].
const (
	ContentCloudConfig = userdata.ContentCloudConfig
	ContentShellScript = userdata.ContentShellScript
	ContentBoothook    = userdata.ContentBoothook
)

// RuleSpec is the rule id of every problem of a [SpecError].
const RuleSpec = "spec"

// SpecError is the error of [Build], [ParseSpecFile] and [ReadSpecFile]
// for a spec that cannot be built: every problem at once, each a
// [Diagnostic] of severity [Error] and rule [RuleSpec] whose Path is the
// field as the spec file names it ("deregister.command[0]") and, for a
// spec file, whose Line and Column say where.
type SpecError struct {
	// File is the spec file's name: set by [ReadSpecFile], empty for a
	// spec built in Go or parsed from bytes.
	File string
	// Problems are the problems, in the order of the file.
	Problems diag.List
}

// Error lists the problems, one per line after the first, as
// FILE:LINE: PATH: MESSAGE (or PATH: MESSAGE without a file or line).
func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString("udkit: ")
	if e.File != "" {
		b.WriteString(diag.Escape(e.File))
		b.WriteString(": ")
	}
	b.WriteString("invalid spec")
	if len(e.Problems) == 1 && e.File == "" {
		b.WriteString(": ")
		b.WriteString(e.problem(e.Problems[0]))
		return b.String()
	}
	if e.File == "" {
		fmt.Fprintf(&b, " (%d problems):", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n")
		if e.File == "" {
			b.WriteString("  ")
		}
		b.WriteString(e.problem(p))
	}
	return b.String()
}

func (e *SpecError) problem(p diag.Diagnostic) string {
	var b strings.Builder
	switch {
	case e.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", diag.Escape(e.File), p.Line)
	case e.File != "":
		b.WriteString(diag.Escape(e.File) + ": ")
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// problem is one invalid field of a spec.
func problem(path, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Path: path, Severity: diag.Error, Rule: RuleSpec, Message: fmt.Sprintf(format, args...)}
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

// checkSpec reports every invalid field of s that Build can tell before
// building.
func checkSpec(s *Spec) diag.List {
	var p diag.List
	add := func(path, format string, args ...any) {
		p = append(p, problem(path, format, args...))
	}
	if !validName(s.Name) {
		add("name", "%q is not a usable name; use letters, digits, '-', '_', '.' and ':', starting with a letter or digit (it names the unit NAME-deregister.service)", s.Name)
	}
	for i, m := range s.Mounts {
		if !path.IsAbs(m) || path.Clean(m) != m {
			add(fmt.Sprintf("mounts[%d]", i), "%q must be a normalized absolute path such as /mnt/domain", m)
		}
	}
	if t := s.StopTimeout; t != 0 && (t < time.Second || t > unit.MaxStopTimeout || t%time.Second != 0) {
		add("stop_timeout", "%v: give a whole number of seconds from 1s to %v (0 means %v): the hook holds up shutdown, and the cloud may not wait", t, unit.MaxStopTimeout, unit.DefaultStopTimeout)
	}
	if s.Registry != nil {
		if s.Register != nil || s.Deregister != nil {
			add("registry", "the registry hook makes the register and deregister scripts; remove register and deregister, or the registry hook")
		}
		checkRegistry(s, add)
	} else {
		if s.Deregister == nil {
			add("deregister", "missing; give the command or script that deregisters the instance, or a registry hook")
		} else {
			checkAction(s, "deregister", s.Deregister, add)
		}
		if s.Register != nil {
			checkAction(s, "register", s.Register, add)
		}
	}
	if s.User != "" {
		// The stop hook's own check of the user, so that a bad user is
		// listed with every other problem.
		for _, d := range (unit.StopHookConfig{Name: "x", Stop: []string{"/bin/true"}, User: s.User}).Check() {
			add("user", "%s", d.Message)
		}
	}
	if s.Deregister != nil && s.Deregister.EveryBoot {
		add("deregister.every_boot", "only register can run on every boot; remove it")
	}
	seen := map[string]bool{}
	for i, v := range s.Environment {
		where := fmt.Sprintf("environment[%d]", i)
		if v.Name != "" {
			where = "environment." + v.Name
		}
		switch {
		case !validEnvName(v.Name):
			add(where, "%q is not a variable name; use letters, digits and '_', not starting with a digit", v.Name)
		case seen[v.Name]:
			add(where, "set twice; keep one")
		}
		seen[v.Name] = true
		if !utf8.ValidString(v.Value) || strings.ContainsAny(v.Value, "'\\") || strings.IndexFunc(v.Value, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			add(where, "the value holds a quote, a backslash, a control character or invalid UTF-8, which /bin/sh and systemd's EnvironmentFile= read differently; put such data in a file (files:) and pass its path")
		}
	}
	for i, f := range s.Files {
		if m := underMount(f.Path, s.Mounts); m != "" && !f.Defer {
			add(fmt.Sprintf("files[%d].defer", i), "%s lies on the mount %s, which is mounted after write_files runs in the init stage and would hide the file; set defer: true to write it in the final stage", f.Path, m)
		}
	}
	if len(s.Files) > 0 {
		var ve *cloudconfig.ValidationError
		if err := (&cloudconfig.Config{WriteFiles: s.Files}).Validate(); errors.As(err, &ve) {
			for _, d := range ve.Diagnostics {
				if d.Severity == diag.Error {
					add("files"+strings.TrimPrefix(d.Path, "write_files"), "%s", d.Message)
				}
			}
		}
	}
	for i, pt := range s.Parts {
		where := fmt.Sprintf("parts[%d]", i)
		if pt.ContentType == "" {
			add(where+".type", "is empty; give a content type such as text/x-shellscript")
		}
		if pt.Filename == cloudConfigFilename {
			add(where+".filename", "%q is the filename of udkit's own cloud-config part; choose another", pt.Filename)
		}
		if len(pt.Body) == 0 {
			add(where+".content", "is empty; give the part's content")
		}
	}
	return p
}

// execPathProblem says why systemd would refuse p as the program of the
// stop hook's Exec lines (a quote, backslash, control character or DEL:
// the unit fails to load and the hook never runs), or "".
func execPathProblem(p string) string {
	var pe *unit.ExecPathError
	if errors.As(unit.CheckExecPath(p), &pe) {
		return strings.TrimPrefix(pe.Error(), "program path ")
	}
	return ""
}

func checkAction(s *Spec, what string, a *Action, add func(string, string, ...any)) {
	switch {
	case len(a.Command) == 0 && a.Script == "":
		add(what, "give a command or a script")
		return
	case len(a.Command) > 0 && a.Script != "":
		add(what, "give a command or a script, not both")
		return
	}
	if len(a.Command) > 0 {
		if a.Path != "" {
			add(what+".path", "only a script is written to a path; remove path or give a script")
		}
		if p := a.Command[0]; !path.IsAbs(p) || path.Clean(p) != p {
			add(what+".command[0]", "%q must be a normalized absolute path: systemd and runcmd do not search PATH the same way", p)
		} else if msg := execPathProblem(p); msg != "" {
			add(what+".command[0]", "%s", msg)
		}
		return
	}
	if !strings.HasPrefix(a.Script, "#!") {
		add(what+".script", "must start with an interpreter line such as #!/bin/sh: systemd runs the file directly")
	}
	p := scriptPath(s, what, a)
	switch {
	case !path.IsAbs(p) || path.Clean(p) != p:
		add(what+".path", "%q must be a normalized absolute path", p)
	case p == "/tmp" || strings.HasPrefix(p, "/tmp/"):
		add(what+".path", "%q is under /tmp, which is cleaned at boot while write_files runs once per instance; use %s", p, DefaultScriptDir)
	case execPathProblem(p) != "":
		add(what+".path", "%s", execPathProblem(p))
	default:
		if m := underMount(p, s.Mounts); m != "" {
			add(what+".path", "%q lies on the mount %s, which is mounted after write_files runs and would hide the file; reference a script that lives there with command, or write it elsewhere", p, m)
		}
	}
	if s.Register != nil && a == s.Register && s.Register.Script != "" && s.Deregister != nil && s.Deregister.Script != "" && scriptPath(s, "register", s.Register) == scriptPath(s, "deregister", s.Deregister) {
		add("register.path", "register and deregister scripts would both be written to %s; give them different paths", p)
	}
}

func registryScriptSpec(r *RegistryHook) registry.ScriptSpec {
	return registry.ScriptSpec{
		URL:           r.URL,
		Cluster:       r.Cluster,
		JoinTokenFile: r.JoinTokenFile,
		CAFile:        r.CAFile,
		StateDir:      r.StateDir,
		Labels:        r.Labels,
	}
}

// checkJoinToken applies the registry's own rule (registry.ParseToken, which
// Store.Register applies to every registration): a token it refuses would
// make the instance's registration fail with 401 or 403 at every boot.
// The token is a secret: messages never quote it.
func checkJoinToken(tok string, add func(string, string, ...any)) {
	k, err := registry.ParseToken(tok)
	switch {
	case err != nil && (strings.ContainsAny(tok, " \t\r\n'\"\\") || !utf8.ValidString(tok)):
		add("registry.join_token", "holds white space, quotes or backslashes, so the registry would refuse it (401) at every boot; give the token alone, as udkit-admin join-token printed it (udkj_ and 64 lower-case hex digits)")
	case err != nil:
		add("registry.join_token", "is not a token the registry accepts (%d bytes; want udkj_ and 64 lower-case hex digits): the instance's registration would be refused (401) at every boot; copy the whole token the registry printed when it created it", len(tok))
	case k != registry.KindJoin:
		add("registry.join_token", "is a %s token, not a join token: the registry refuses it for registration (403) at every boot; create a join token for the cluster (it starts with %s)", k, registry.JoinTokenPrefix)
	}
}

// checkRegistry reports the problems of a registry hook: what the
// registry's script generator refuses, and what udkit adds.
func checkRegistry(s *Spec, add func(string, string, ...any)) {
	r := s.Registry
	if _, err := registry.RegisterScript(registryScriptSpec(r)); err != nil {
		add("registry", "%v", err)
	}
	stop := s.StopTimeout
	if stop == 0 {
		stop = unit.DefaultStopTimeout
	}
	if stop <= registry.DefaultDeregisterMaxTime {
		add("stop_timeout", "%v leaves the deregister script's %v request no time; give more than %v", stop, registry.DefaultDeregisterMaxTime, registry.DefaultDeregisterMaxTime)
	}
	if r.JoinToken != "" {
		checkJoinToken(r.JoinToken, add)
	}
	if r.CA != "" && r.CAFile == "" {
		add("registry.ca", "given without ca_file; say where to write it")
	}
	if d := r.Renew; d != 0 && (d < MinRenewInterval || d > MaxRenewInterval || d%time.Second != 0) {
		add("registry.renew", "%v: give whole seconds from %v to %v (a third of the cluster's lease TTL or less), or leave it out for a cluster without a lease", d, MinRenewInterval, MaxRenewInterval)
	}
}
