package udkit

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
	"gopkg.in/yaml.v3"
)

// Options control how a bundle is encoded.
type Options struct {
	// Gzip says whether to gzip the document (the zero value never does).
	Gzip userdata.GzipMode
	// Base64 encodes the result as launch templates take it.
	Base64 bool
	// Limit is the largest document before base64: 0 means EC2's 16384
	// bytes ([userdata.DefaultLimit]), a negative value no limit.
	Limit int
	// AcceptErrors encodes the user data even when the lint rules found
	// errors in it. Without it, Encode returns a *LintError.
	AcceptErrors bool
}

// Bundle is user data built from a [Spec], before encoding.
type Bundle struct {
	// Hook is the stop-hook unit and the runcmd lines that arm it.
	Hook *unit.Hook
	// CloudConfig is the cloud-config of the first part.
	CloudConfig *cloudconfig.Config
	// Document is every part, udkit's cloud-config first.
	Document *userdata.Document
	// Diagnostics are the findings of the unit, cloud-config and
	// user-data lint rules, in part order.
	Diagnostics []Diagnostic
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
	var probs []Problem
	var files []cloudconfig.WriteFile
	var extra []cloudconfig.WriteFile // files of the registry hook
	if s.Registry != nil {
		var err error
		if s, extra, err = withRegistry(s); err != nil {
			return nil, err
		}
	}

	deregister, script := actionArgv(s, "deregister", &s.Deregister)
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
	if err != nil {
		field := "deregister"
		msg := strings.TrimPrefix(err.Error(), "unit: stop hook: ")
		switch {
		case strings.HasPrefix(msg, "Timeout"):
			field = "stop_timeout"
		case strings.HasPrefix(msg, "User"):
			field = "user"
		case strings.HasPrefix(msg, "Start"):
			field = "register"
		case strings.HasPrefix(msg, "RequiresMountsFor"), strings.Contains(msg, "Mounts"):
			field = "mounts"
		case strings.HasPrefix(msg, "Name"):
			field = "name"
		}
		probs = append(probs, Problem{Path: field, Message: msg})
		return nil, &SpecError{Problems: probs}
	}
	unitText, err := hook.Unit.Marshal()
	if err != nil {
		return nil, fmt.Errorf("udkit: the stop hook unit: %w", err)
	}
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

	own := &cloudconfig.Config{WriteFiles: files}
	for _, a := range hook.Arm {
		own.Runcmd = append(own.Runcmd, cloudconfig.Argv(a...))
	}
	if s.Register != nil && !s.Register.EveryBoot {
		own.Runcmd = append(own.Runcmd, cloudconfig.Argv(registerCommand(s, register)...))
	}

	cc := own
	if s.CloudConfig != nil {
		base, err := copyConfig(s.CloudConfig)
		if err != nil {
			return nil, &SpecError{Problems: []Problem{{Path: "cloud_config", Message: err.Error()}}}
		}
		if err := cloudconfig.Merge(base, own); err != nil {
			return nil, &SpecError{Problems: []Problem{{Path: "cloud_config", Message: err.Error()}}}
		}
		cc = base
	}
	body, err := cc.Marshal()
	if err != nil {
		return nil, &SpecError{Problems: []Problem{{Path: "cloud_config", Message: err.Error()}}}
	}

	doc := &userdata.Document{}
	first := userdata.Part{ContentType: userdata.ContentCloudConfig, Filename: cloudConfigFilename, Body: body}
	doc.Parts = append(doc.Parts, first)
	multi := false
	for _, p := range s.Parts {
		up := userdata.Part{ContentType: p.ContentType, Filename: p.Filename, MergeType: p.MergeType, Body: p.Body}
		if isCloudConfig(up) {
			multi = true
			if up.MergeType == "" {
				up.MergeType = userdata.MergeAppend
			}
		}
		doc.Parts = append(doc.Parts, up)
	}
	if multi {
		doc.Parts[0].MergeType = userdata.MergeAppend
	}

	b := &Bundle{Hook: hook, CloudConfig: cc, Document: doc}
	b.Diagnostics = lintDocument(doc, NewBudget())
	if s.Register != nil && !s.Register.EveryBoot {
		b.Diagnostics = append(b.Diagnostics, Diagnostic{
			Part: 1, PartName: partName(doc.Parts[0]), Where: "runcmd", Severity: Info, Rule: RuleRegisterOnce,
			Message: "registration runs once per instance, but the hook deregisters at every shutdown, reboots included: after a reboot the instance stays deregistered; register on every boot (every_boot) if the instance may reboot",
		})
	}
	return b, nil
}

// Errors returns the diagnostics of severity Error.
func (b *Bundle) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range b.Diagnostics {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Encode returns the user data. It refuses, with a *LintError, a bundle
// whose diagnostics hold errors unless o.AcceptErrors is set, and fails
// with a *userdata.SizeError when the document is over o.Limit.
func (b *Bundle) Encode(o Options) ([]byte, error) {
	if errs := b.Errors(); len(errs) > 0 && !o.AcceptErrors {
		return nil, &LintError{Diagnostics: errs}
	}
	out, err := b.Document.Encode(userdata.Options{Gzip: o.Gzip, Base64: o.Base64, Limit: o.Limit})
	if err != nil {
		return nil, fmt.Errorf("udkit: %w", err)
	}
	return out, nil
}

// Render builds and encodes s: [Build], then [Bundle.Encode]. It returns
// the diagnostics (warnings and infos, and errors when o.AcceptErrors is
// set) along with the user data.
func Render(s *Spec, o Options) ([]byte, []Diagnostic, error) {
	b, err := Build(s)
	if err != nil {
		return nil, nil, err
	}
	out, err := b.Encode(o)
	if err != nil {
		return nil, b.Diagnostics, err
	}
	return out, b.Diagnostics, nil
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

func copyConfig(c *cloudconfig.Config) (*cloudconfig.Config, error) {
	b, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	return cloudconfig.Parse(b)
}

// checkSpec reports every invalid field of s that Build can tell before
// building.
func checkSpec(s *Spec) []Problem {
	var p []Problem
	add := func(path, format string, args ...any) {
		p = append(p, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
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
		if s.Register != nil || len(s.Deregister.Command) > 0 || s.Deregister.Script != "" || s.Deregister.Path != "" {
			add("registry", "the registry hook makes the register and deregister scripts; remove register and deregister, or the registry hook")
		}
		checkRegistry(s, add)
	} else {
		checkAction(s, "deregister", &s.Deregister, add)
		if s.Register != nil {
			checkAction(s, "register", s.Register, add)
		}
	}
	if s.Deregister.EveryBoot {
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
				if d.Severity == cloudconfig.Error {
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
	if s.Register != nil && a == s.Register && s.Register.Script != "" && s.Deregister.Script != "" && scriptPath(s, "register", s.Register) == scriptPath(s, "deregister", &s.Deregister) {
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

// checkRegistry reports the problems of a registry hook: what the
// registry's script generator refuses, and what udkit adds.
//
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

func checkRegistry(s *Spec, add func(string, string, ...any)) {
	r := s.Registry
	if _, err := registry.RegisterScript(registryScriptSpec(r)); err != nil {
		add("registry", "%s", strings.TrimPrefix(err.Error(), "registry: "))
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
}

// withRegistry returns a copy of s whose register and deregister actions
// are the registry's scripts, and the files that hold the join token and
// CA when the spec gives their contents. checkSpec has checked s.
func withRegistry(s *Spec) (*Spec, []cloudconfig.WriteFile, error) {
	r := s.Registry
	ss := registryScriptSpec(r)
	reg, err := registry.RegisterScript(ss)
	if err != nil {
		return nil, nil, fmt.Errorf("udkit: registry: %w", err)
	}
	dereg, err := registry.DeregisterScript(ss)
	if err != nil {
		return nil, nil, fmt.Errorf("udkit: registry: %w", err)
	}
	var files []cloudconfig.WriteFile
	if r.JoinToken != "" {
		files = append(files, cloudconfig.WriteFile{Path: r.JoinTokenFile, Content: r.JoinToken + "\n", Owner: "root:root", Permissions: "0600"})
	}
	if r.CA != "" {
		files = append(files, cloudconfig.WriteFile{Path: r.CAFile, Content: r.CA, Owner: "root:root", Permissions: "0644"})
	}
	c := *s
	c.Registry = nil
	c.Register = &Action{Script: string(reg), EveryBoot: r.EveryBoot}
	c.Deregister = Action{Script: string(dereg)}
	return &c, files, nil
}

// lintDocument runs the document, cloud-config and unit rules on every
// part of doc.
func lintDocument(doc *userdata.Document, b *Budget) []Diagnostic {
	var out []Diagnostic
	byPart := map[int][]Diagnostic{}
	for _, d := range userdata.Lint(doc) {
		byPart[d.Part] = append(byPart[d.Part], Diagnostic{Severity: fromUserdata(d.Severity), Rule: d.Rule, Message: d.Message})
	}
	for i, p := range doc.Parts {
		n := i + 1
		var ds []Diagnostic
		ds = append(ds, byPart[n]...)
		if isCloudConfig(p) {
			ds = append(ds, lintCloudConfig(p.Body, b)...)
		}
		for _, d := range ds {
			d.Line = 0
			d.Part = n
			d.PartName = partName(p)
			out = append(out, d)
		}
	}
	return out
}

// lintCloudConfig validates and lints a cloud-config document, and lints
// every systemd service it writes that has an ExecStop= line as a stop
// hook. Line is set to the line within body. The work is charged to b,
// the budget of the whole document body is part of.
func lintCloudConfig(body []byte, b *Budget) []Diagnostic {
	within := cloudconfig.WithBudget(b)
	c, err := cloudconfig.Parse(body, within)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "cloudconfig: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if i := strings.IndexAny(rest, ":,; "); i > 0 {
				line, _ = strconv.Atoi(rest[:i])
			}
		}
		return []Diagnostic{{Line: line, Severity: Error, Rule: "cloud-config-parse", Message: msg}}
	}
	// The nodes as written, for lines; Parse succeeded, so this parse
	// takes no more than that one.
	var find nodeFinder
	var doc yaml.Node
	if yaml.Unmarshal(body, &doc) == nil && len(doc.Content) > 0 {
		find.root = doc.Content[0]
	}
	lineOf := func(path string) int {
		if find.root == nil {
			return 0
		}
		return find.at(path).Line
	}
	var out []Diagnostic
	if err := c.Validate(within); err != nil {
		var ve *cloudconfig.ValidationError
		if !errors.As(err, &ve) {
			return append(out, Diagnostic{Severity: Error, Rule: "cloud-config-invalid", Message: err.Error()})
		}
		for _, d := range ve.Diagnostics {
			out = append(out, Diagnostic{Line: lineOf(d.Path), Where: d.Path, Severity: fromCloudConfig(d.Severity), Rule: d.Rule, Message: d.Message})
		}
	}
	for _, d := range cloudconfig.Lint(c, within) {
		out = append(out, Diagnostic{Line: lineOf(d.Path), Where: d.Path, Severity: fromCloudConfig(d.Severity), Rule: d.Rule, Message: d.Message})
	}
	for i, f := range c.WriteFiles {
		// Each distinct content is decoded and linted once: the
		// entries that share it (alias copies of one anchor) share the
		// findings.
		if !serviceFile(f.Path) {
			continue
		}
		ds, _ := budget.Memo(b, stopHookKey{f.Encoding, f.Content}, func() ([]Diagnostic, error) {
			if !isStopHookFile(f, within) {
				return nil, nil
			}
			data, err := f.Data(within)
			if err != nil {
				return nil, nil // Validate reported it
			}
			return lintUnitText(data), nil
		})
		if len(ds) == 0 {
			continue
		}
		// A literal block's first line follows the line of its indicator;
		// other styles give the line of the value only.
		base, block := 0, false
		if find.root != nil {
			n := find.at(fmt.Sprintf("write_files[%d].content", i))
			base, block = n.Line, n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && f.Encoding == ""
		}
		for _, d := range ds {
			loc := fmt.Sprintf("write_files[%d] (%s)", i, f.Path)
			if d.Where != "" {
				loc += ": " + d.Where
			}
			d.Where = loc
			if block && d.Line > 0 {
				d.Line += base
			} else {
				d.Line = base
			}
			out = append(out, d)
		}
	}
	return out
}

// stopHookKey identifies the content of a write_files entry that writes a
// service, for the stop-hook rules.
type stopHookKey struct{ encoding, content string }

// serviceFile reports whether path is where a systemd service is written.
func serviceFile(path string) bool {
	return strings.HasSuffix(path, ".service") && strings.Contains(path, "/systemd/")
}

// isStopHookFile reports whether a write_files entry is a systemd service
// with an ExecStop= line: a stop hook, which the unit rules apply to.
func isStopHookFile(f cloudconfig.WriteFile, opts ...cloudconfig.Option) bool {
	if !serviceFile(f.Path) {
		return false
	}
	data, err := f.Data(opts...)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "ExecStop" {
			return true
		}
	}
	return false
}
