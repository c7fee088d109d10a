package udkit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// Options control how a bundle is encoded. The zero value is what a spec
// file without an output section gives: gzip only when the document does
// not fit otherwise, no base64, EC2's limit, lint errors refused.
type Options struct {
	// Gzip says when to gzip the document; the zero value is
	// [GzipAuto]. It reads itself from "auto", "always" or "never"
	// (encoding.TextUnmarshaler).
	Gzip GzipMode
	// Base64 encodes the result as launch templates take it.
	Base64 bool
	// Limit is the largest document before base64: 0 means EC2's 16384
	// bytes, a negative value no limit.
	Limit int
	// AcceptErrors encodes the user data even when the lint rules found
	// errors in it. Without it, Encode returns a *LintError.
	AcceptErrors bool
	// Ignore silences the findings of these rules (ids of [Rules]): they
	// are neither returned nor counted as errors. An unknown id is an
	// error, so that a typo does not silence nothing.
	Ignore []string
	// Compression is the gzip encoder's mode: best (default) or max.
	Compression userdata.Compression
}

// GzipMode says when the document is gzip'd: [GzipAuto] (the zero value),
// [GzipAlways] or [GzipNever].
type GzipMode = userdata.GzipMode

// The gzip modes.
const (
	// GzipAuto gzips only a document over the limit.
	GzipAuto = userdata.GzipAuto
	// GzipAlways always gzips.
	GzipAlways = userdata.GzipAlways
	// GzipNever never gzips.
	GzipNever = userdata.GzipNever
)

// Bundle is user data built from a [Spec], before encoding.
type Bundle struct {
	// Hook is the stop-hook unit and the runcmd lines that arm it.
	Hook *unit.Hook
	// CloudConfig is the cloud-config of the first part.
	CloudConfig *cloudconfig.Config
	// Document is every part, udkit's cloud-config first.
	Document *userdata.Document
	// Diagnostics are the findings of the unit, cloud-config and
	// user-data lint rules, in part order. Their Line is the line in the
	// part's body.
	Diagnostics diag.List
}

// RuleRegisterOnce is the rule id of the [Info] diagnostic of a spec that
// registers once per instance: the hook deregisters at every shutdown,
// reboots included, and nothing registers the instance again.
const RuleRegisterOnce = "register-once"

// cloudConfigFilename is the filename of udkit's cloud-config part.
const cloudConfigFilename = "cloud-config"

// Build turns s into a bundle: the stop hook written by write_files to
// /etc/systemd/system/NAME-deregister.service (0644 root:root), the
// environment file and scripts it needs, runcmd lines that reload systemd,
// arm the hook with `systemctl enable --now --no-block` and then register,
// all in one cloud-config part followed by s.Parts.
//
// Build lints what it built with the rules of the unit, cloudconfig and
// userdata packages and records the findings in Bundle.Diagnostics; it
// fails only when s is invalid, with a *SpecError naming every bad field.
// Build does not modify s.
func Build(s *Spec) (*Bundle, error) {
	if s == nil {
		return nil, errors.New("udkit: Build: nil spec")
	}
	if probs := checkSpec(s); len(probs) > 0 {
		return nil, &SpecError{Problems: probs}
	}
	var files []cloudconfig.WriteFile
	var extra []cloudconfig.WriteFile // files of the registry hook
	var alsoEnable []string           // units armed with the stop hook
	if s.Registry != nil {
		var err error
		if s, extra, alsoEnable, err = withRegistry(s); err != nil {
			return nil, err
		}
	}

	deregister, script := actionArgv(s, "deregister", s.Deregister)
	var register []string
	var registerScript *cloudconfig.WriteFile
	if s.Register != nil {
		register, registerScript = actionArgv(s, "register", s.Register)
	}

	cfg := unit.StopHookConfig{
		Name:            s.Name + "-deregister",
		Stop:            deregister,
		Mounts:          s.Mounts,
		Timeout:         s.StopTimeout,
		EnvironmentFile: "-" + envPath(s.Name),
		User:            s.User,
		Description:     "Deregister " + s.Name + " at shutdown",
	}
	if s.Register != nil && s.Register.EveryBoot {
		cfg.Start = register
		cfg.Description = "Register " + s.Name + " at boot and deregister it at shutdown"
	}
	hook, err := unit.StopHook(cfg)
	var he *unit.StopHookError
	if errors.As(err, &he) {
		// checkSpec found nothing, but the hook's own checks did: the
		// problems name the StopHookConfig fields they are about.
		probs := make(diag.List, len(he.Problems))
		for i, p := range he.Problems {
			probs[i] = problem(hookField(p.Path), "%s", p.Message)
		}
		return nil, &SpecError{Problems: probs}
	}
	if err != nil {
		return nil, fmt.Errorf("udkit: the stop hook: %w", err)
	}
	unitText, err := hook.Unit.Marshal()
	if err != nil {
		return nil, fmt.Errorf("udkit: the stop hook unit: %w", err)
	}
	// Room for every file up front: a WriteFile is large, and growing
	// the slice one append at a time copies it over and over.
	files = make([]cloudconfig.WriteFile, 0, 4+len(extra)+len(s.Files))
	files = append(files, cloudconfig.WriteFile{Path: hook.Path, Content: string(unitText), Owner: "root:root", Permissions: "0644"})
	if len(s.Environment) > 0 {
		files = append(files, cloudconfig.WriteFile{Path: envPath(s.Name), Content: envFile(s.Environment), Owner: "root:root", Permissions: "0600"})
	}
	files = append(files, extra...)
	if registerScript != nil {
		files = append(files, *registerScript)
	}
	if script != nil {
		files = append(files, *script)
	}
	files = append(files, s.Files...)

	own := &cloudconfig.Config{WriteFiles: files, Runcmd: make([]cloudconfig.Command, 0, len(hook.Arm)+1)}
	for _, a := range hook.Arm {
		if len(a) > 1 && a[1] == "enable" {
			a = append(append([]string(nil), a...), alsoEnable...)
		}
		own.Runcmd = append(own.Runcmd, cloudconfig.Argv(a...))
	}
	if s.Register != nil && !s.Register.EveryBoot {
		own.Runcmd = append(own.Runcmd, cloudconfig.Argv(registerCommand(s, register)...))
	}

	cc := own
	if s.CloudConfig != nil {
		base := s.CloudConfig.Clone()
		if base.Lookup("write_files") == nil && base.Lookup("runcmd") == nil {
			// Both lists are typed: appending own's entries is what
			// Merge does (own has nothing else), without rendering
			// both configs to YAML nodes and reading them back.
			if len(base.WriteFiles) == 0 {
				base.WriteFiles = own.WriteFiles // made above, shared with no one
			} else {
				base.WriteFiles = append(base.WriteFiles, own.WriteFiles...)
			}
			if len(base.Runcmd) == 0 {
				base.Runcmd = own.Runcmd
			} else {
				base.Runcmd = append(base.Runcmd, own.Runcmd...)
			}
		} else if err := cloudconfig.Merge(base, own); err != nil {
			return nil, &SpecError{Problems: diag.List{problem("cloud_config", "%v", err)}}
		}
		cc = base
	}
	body, err := cc.Marshal()
	if err != nil {
		return nil, &SpecError{Problems: diag.List{problem("cloud_config", "%v", err)}}
	}

	doc := &userdata.Document{Parts: make([]userdata.Part, 0, 1+len(s.Parts))}
	first := userdata.Part{ContentType: userdata.ContentCloudConfig, Filename: cloudConfigFilename, Body: body}
	doc.Parts = append(doc.Parts, first)
	multi := false
	for _, p := range s.Parts {
		if isCloudConfig(p) {
			multi = true
			if p.MergeType == "" {
				p.MergeType = userdata.MergeAppend
			}
		}
		doc.Parts = append(doc.Parts, p)
	}
	if multi {
		doc.Parts[0].MergeType = userdata.MergeAppend
	}

	b := &Bundle{Hook: hook, CloudConfig: cc, Document: doc}
	// udkit's own part is linted from the config it was rendered from:
	// no second YAML parse.
	b.Diagnostics = lintParts(doc, map[int]*cloudconfig.Config{0: cc}, nil, nil, NewBudget())
	if s.Register != nil && !s.Register.EveryBoot {
		b.Diagnostics = append(b.Diagnostics, diag.Diagnostic{
			Part: 1, PartLabel: doc.Parts[0].Label(), Path: "runcmd", Severity: Info, Rule: RuleRegisterOnce,
			Message: "registration runs once per instance, but the hook deregisters at every shutdown, reboots included: after a reboot the instance stays deregistered; register on every boot (every_boot) if the instance may reboot",
		})
		b.Diagnostics.Sort()
	}
	return b, nil
}

// hookField maps a field of unit.StopHookConfig, as a StopHookError or
// Check names it, to the spec field it comes from.
func hookField(f string) string {
	switch {
	case f == "Stop":
		return "deregister"
	case f == "Start":
		return "register"
	case f == "Timeout":
		return "stop_timeout"
	case f == "User":
		return "user"
	case strings.HasPrefix(f, "Mounts["):
		return "mounts" + strings.TrimPrefix(f, "Mounts")
	}
	return "name" // Name, EnvironmentFile and Description derive from it
}

// Errors returns the diagnostics of severity Error.
func (b *Bundle) Errors() diag.List { return b.Diagnostics.Errors() }

// Encode returns the user data. It refuses, with a *LintError, a bundle
// whose diagnostics hold errors (other than those of o.Ignore) unless
// o.AcceptErrors is set, and fails with a *userdata.SizeError when the
// document is over o.Limit.
func (b *Bundle) Encode(o Options) ([]byte, error) {
	if err := checkIgnore(o.Ignore); err != nil {
		return nil, err
	}
	if errs := b.Diagnostics.Without(o.Ignore...).Errors(); len(errs) > 0 && !o.AcceptErrors {
		return nil, &LintError{Diagnostics: errs}
	}
	out, err := b.Document.Encode(userdata.Options{Gzip: o.Gzip, Base64: o.Base64, Limit: o.Limit, Compression: o.Compression})
	if err != nil {
		return nil, fmt.Errorf("udkit: %w", err)
	}
	return out, nil
}

// Render builds and encodes s: [Build], then [Bundle.Encode]. It returns
// the diagnostics, less those of o.Ignore (warnings and infos, and errors
// when o.AcceptErrors is set), along with the user data.
func Render(s *Spec, o Options) ([]byte, diag.List, error) {
	b, err := Build(s)
	if err != nil {
		return nil, nil, err
	}
	diags := b.Diagnostics.Without(o.Ignore...)
	out, err := b.Encode(o)
	if err != nil {
		return nil, diags, err
	}
	return out, diags, nil
}

func envPath(name string) string { return "/etc/default/" + name }

// envFile renders the environment file: NAME=value, single-quoted when the
// value holds anything but a few safe characters. checkSpec has refused
// quotes, backslashes and control characters, so /bin/sh and systemd's
// EnvironmentFile= read each line alike.
func envFile(vars []EnvVar) string {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Name)
		b.WriteByte('=')
		if plainEnvValue(v.Value) {
			b.WriteString(v.Value)
		} else {
			b.WriteString("'" + v.Value + "'")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func plainEnvValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_./:@,+=-", c) >= 0) {
			return false
		}
	}
	return true
}

// actionArgv returns the command of an action and, for a script body, the
// write_files entry that installs it.
func actionArgv(s *Spec, what string, a *Action) ([]string, *cloudconfig.WriteFile) {
	if a.Script == "" {
		return append([]string(nil), a.Command...), nil
	}
	p := scriptPath(s, what, a)
	return []string{p}, &cloudconfig.WriteFile{Path: p, Content: a.Script, Owner: "root:root", Permissions: "0755"}
}

func scriptPath(s *Spec, what string, a *Action) string {
	if a.Path != "" {
		return a.Path
	}
	return DefaultScriptDir + "/" + s.Name + "-" + what
}

// registerCommand is the runcmd entry that registers once per instance:
// the command with the environment file sourced (so that it sees what the
// stop hook sees) and as the spec's user. It runs in a child shell: an
// `exec` in a runcmd string entry would end cloud-init's runcmd script.
func registerCommand(s *Spec, argv []string) []string {
	switch {
	case len(s.Environment) > 0 && s.User != "":
		return append([]string{"/bin/sh", "-c", `set -a; . ` + envPath(s.Name) + `; exec runuser -u ` + s.User + ` -- "$0" "$@"`}, argv...)
	case len(s.Environment) > 0:
		return append([]string{"/bin/sh", "-c", `set -a; . ` + envPath(s.Name) + `; exec "$0" "$@"`}, argv...)
	case s.User != "":
		return append([]string{"runuser", "-u", s.User, "--"}, argv...)
	}
	return argv
}

func isCloudConfig(p userdata.Part) bool {
	if p.ContentType == userdata.ContentCloudConfig {
		return true
	}
	if p.ContentType == userdata.ContentPlain || p.ContentType == userdata.ContentNotMultipart {
		first, _, _ := strings.Cut(strings.TrimLeft(string(p.Body), " \t\r\n"), "\n")
		return strings.EqualFold(strings.TrimSpace(first), cloudconfig.Header)
	}
	return false
}

// withRegistry returns a copy of s whose register and deregister actions
// are the registry's scripts, and the files that hold the join token and
// CA when the spec gives their contents. checkSpec has checked s.
//
// With Renew it also returns the renew script, the renewal timer and its
// service, and the timer's name, to enable with the stop hook.
func withRegistry(s *Spec) (*Spec, []cloudconfig.WriteFile, []string, error) {
	r := s.Registry
	ss := registryScriptSpec(r)
	reg, err := registry.RegisterScript(ss)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("udkit: registry: %w", err)
	}
	dereg, err := registry.DeregisterScript(ss)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("udkit: registry: %w", err)
	}
	var renewFiles []cloudconfig.WriteFile
	var enable []string
	if r.Renew > 0 {
		hookUnit := s.Name + "-deregister.service"
		ss.RegisterScript = scriptPath(s, "register", &Action{})
		ss.StopHookUnit = hookUnit
		renew, err := registry.RenewScript(ss)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("udkit: registry: %w", err)
		}
		renewPath := DefaultScriptDir + "/" + s.Name + "-renew"
		tm, err := unit.NewTimer(unit.TimerConfig{
			Name:            s.Name + "-renew",
			Command:         []string{renewPath},
			Every:           r.Renew,
			After:           []string{hookUnit},
			PartOf:          hookUnit,
			EnvironmentFile: "-" + envPath(s.Name),
			User:            s.User,
			Description:     "Renew " + s.Name + "'s registry lease",
		})
		if err != nil {
			return nil, nil, nil, &SpecError{Problems: diag.List{problem("registry.renew", "%v", err)}}
		}
		timerText, err := tm.Unit.Marshal()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("udkit: the renewal timer: %w", err)
		}
		serviceText, err := tm.Service.Marshal()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("udkit: the renewal service: %w", err)
		}
		renewFiles = []cloudconfig.WriteFile{
			{Path: tm.ServicePath, Content: string(serviceText), Owner: "root:root", Permissions: "0644"},
			{Path: tm.Path, Content: string(timerText), Owner: "root:root", Permissions: "0644"},
			{Path: renewPath, Content: string(renew), Owner: "root:root", Permissions: "0755"},
		}
		enable = append(enable, tm.Name)
	}
	var files []cloudconfig.WriteFile
	if r.JoinToken != "" {
		files = append(files, cloudconfig.WriteFile{Path: r.JoinTokenFile, Content: r.JoinToken + "\n", Owner: "root:root", Permissions: "0600"})
	}
	if r.CA != "" {
		files = append(files, cloudconfig.WriteFile{Path: r.CAFile, Content: r.CA, Owner: "root:root", Permissions: "0644"})
	}
	files = append(files, renewFiles...)
	c := *s
	c.Registry = nil
	c.Register = &Action{Script: string(reg), EveryBoot: r.EveryBoot}
	c.Deregister = &Action{Script: string(dereg)}
	return &c, files, enable, nil
}
