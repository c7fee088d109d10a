package udkit

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// Kind is what [Lint] took its input for.
type Kind int

const (
	// KindUserData is user data as cloud-init reads it: MIME multipart,
	// gzip'd or base64-encoded, or a single document typed by its first
	// line other than cloud-config.
	KindUserData Kind = iota
	// KindCloudConfig is a single cloud-config document.
	KindCloudConfig
	// KindUnit is a systemd unit file.
	KindUnit
)

// String returns "user data", "cloud-config" or "unit".
func (k Kind) String() string {
	switch k {
	case KindCloudConfig:
		return "cloud-config"
	case KindUnit:
		return "unit"
	}
	return "user data"
}

// DetectKind tells a unit file (its first line that is not blank or a
// comment is a [Section] header) from a plain cloud-config document (its
// first line is #cloud-config) and from anything else, which is user data.
func DetectKind(data []byte) Kind {
	if typedUserData(data) {
		return KindUserData
	}
	rest := data
	for len(rest) > 0 {
		line, tail, _ := bytes.Cut(rest, []byte("\n"))
		rest = tail
		t := strings.TrimSpace(string(line))
		if t == "" {
			continue
		}
		if foreignOrTemplate(t) {
			return KindUserData
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			return KindUnit
		}
		if strings.EqualFold(t, "#cloud-config") {
			return KindCloudConfig
		}
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			// A unit file may start with comments; a cloud-config
			// document may not (its header is the first line).
			continue
		}
		break
	}
	return KindUserData
}

// Diagnostic is one finding: [diag.Diagnostic], so that a caller of the
// root package needs no other import to read findings.
type Diagnostic = diag.Diagnostic

// List is a list of findings ([diag.List]): what [Render], [Lint] and
// [Bundle.Diagnostics] hold, with Max, Errors, AtLeast, Without and Sort.
type List = diag.List

// Rule documents one rule ([diag.Rule]): its id, usual severity and doc.
type Rule = diag.Rule

// Severity ranks a [Diagnostic]: [Info] < [Warning] < [Error].
type Severity = diag.Severity

// The severities, from the least to the most serious.
const (
	// Info is advice, not a fault (for example: the hook never starts if
	// its mount fails).
	Info = diag.Info
	// Warning is a likely mistake that still works as written.
	Warning = diag.Warning
	// Error means part of the user data is lost or the hook does not run
	// as meant. [Bundle.Encode] refuses user data with errors unless
	// [Options.AcceptErrors] is set.
	Error = diag.Error
)

// LintError is returned when the user data has findings of severity
// [Error] and the caller did not accept them.
type LintError struct {
	// Diagnostics are the errors, in document order.
	Diagnostics diag.List
}

// Error lists the errors, one per line after the first.
func (e *LintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "udkit: the user data has %d lint error(s); fix them, set Options.AcceptErrors (--accept-errors) to render it anyway, or Options.Ignore (ignore:) to silence a rule:", len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// Lint checks user data, a cloud-config document or a systemd unit file
// (see [DetectKind]) with the rules of the userdata, cloudconfig and unit
// packages: user data gets the document rules of
// [userdata.LintDocument] (what cloud-init passes over in silence), every
// cloud-config part is validated and linted (a part typed
// text/cloud-config by its Content-Type with or without its #cloud-config
// line, a jinja template when it holds no jinja syntax), and in every
// cloud-config, every systemd service written by
// write_files that has an ExecStop= line is linted as a stop hook and
// every systemd timer (*.timer) with the timer rules of [unit.LintTimer].
// A unit file given alone is linted as a timer if it has a [Timer]
// section, else with [unit.Lint], which checks a daemon (no ExecStop=,
// not Type=oneshot: [unit.IsStopHook]) with the rules for every service
// only.
// Findings of the rules in ignore are left out; an unknown id there is an
// error.
//
// Diagnostics carry the line in data where it can be told: always for
// units and cloud-config documents, and for the parts of user data that is
// neither gzip'd nor base64-encoded and whose parts are sent as they are.
// A finding about a unit inside a write_files entry has the unit's file
// name in Unit and its line in that unit in UnitLine. Lint fails only
// when data cannot be decoded as user data, or on an unknown rule id.
//
// The work is bounded by one [Budget] for the whole of data, shared by
// decoding and every check of every part: a document that needs more
// (gzip that inflates too far, aliases that expand too far, in one part or
// across many) gets an error finding for each part or entry left
// unchecked, never unbounded time or memory.
func Lint(data []byte, ignore ...string) (Kind, diag.List, error) {
	if err := checkIgnore(ignore); err != nil {
		return DetectKind(data), nil, err
	}
	return lintWithin(data, NewBudget(), ignore...)
}

// lintWithin is Lint charging its work to b.
func lintWithin(data []byte, b *Budget, ignore ...string) (Kind, diag.List, error) {
	switch k := DetectKind(data); k {
	case KindUnit:
		return k, lintUnitText(data).Without(ignore...), nil
	case KindCloudConfig:
		ds := lintCloudConfigText(data, b)
		ds.Sort()
		return k, ds.Without(ignore...), nil
	}
	d, err := userdata.Decode(data, userdata.Limits{Budget: b})
	if err != nil {
		return KindUserData, nil, fmt.Errorf("udkit: lint: %w", err)
	}
	doc := d.Document()
	// The line where each part's body starts in data, if it is there as
	// it is; 0 where it cannot be told.
	bases := make([]int, len(doc.Parts))
	if !d.Base64 && !d.Gzip {
		from := 0
		for i, p := range doc.Parts {
			if len(p.Body) == 0 {
				continue
			}
			if j := bytes.Index(data[from:], p.Body); j >= 0 {
				bases[i] = bytes.Count(data[:from+j], []byte("\n")) + 1
				from += j + len(p.Body)
			}
		}
	}
	docFindings := userdata.LintDocument(data, d)
	out := lintParts(doc, nil, bases, explainedParts(d, docFindings), b)
	for _, dg := range docFindings {
		// A finding about a part without a line of its own points at
		// the part's body.
		if dg.Line == 0 && dg.Part > 0 && dg.Part <= len(bases) {
			dg.Line = bases[dg.Part-1]
		}
		out = append(out, dg)
	}
	if !d.MIME {
		for i := range out {
			if !isArchiveEntryFinding(out[i]) {
				out[i].Part, out[i].PartLabel = 0, ""
			}
		}
	}
	out.Sort()
	return KindUserData, out.Without(ignore...), nil
}

// lintParts is the one per-part loop of [Build] and [Lint]: the document
// rules on doc, the ignored-part check, and on every cloud-config part
// the cloud-config and stop-hook rules. A part whose config the caller
// already has (known, by 0-based index: Build's own part) is linted from
// it instead of being parsed again. With bases nil, lines are lines of
// the part's body; otherwise bases[i] is the line of the input on which
// the body of part i starts (0: unknown, and the findings get no line).
// The work of all parts is charged to b, the budget of the document.
// explained holds the 1-based parts whose being ignored a document rule
// of [userdata.LintDocument] already names (a phantom part, a BOM,
// another agent's format): they get no ignored-part error.
//
// cloud-init YAML-loads a part typed text/cloud-config by its
// Content-Type whether or not its first line is #cloud-config, so such a
// part is checked as cloud-config; a jinja template is checked when it
// holds no jinja syntax and otherwise noted as not checked (info).
func lintParts(doc *userdata.Document, known map[int]*cloudconfig.Config, bases []int, explained map[int]bool, b *Budget) diag.List {
	var out diag.List
	byPart := map[int]diag.List{}
	for _, dg := range userdata.Lint(doc) {
		byPart[dg.Part] = append(byPart[dg.Part], dg)
	}
	for i, p := range doc.Parts {
		ds := byPart[i+1]
		if p.ContentType == userdata.ContentNotMultipart || p.ContentType == userdata.ContentPlain {
			if !isCloudConfig(p) && !explained[i+1] {
				msg := "cloud-init ignores this part: its first line is none of #cloud-config, #!, #cloud-boothook, #include, #part-handler, ## template: jinja; start it with the header of what it is"
				if detectSpecFile(p.Body) {
					msg += " (this looks like a udkit spec file: `udkit render` turns it into user data)"
				}
				ds = append(ds, diag.Diagnostic{Severity: Error, Rule: RuleIgnoredPart, Message: msg})
			}
		}
		if c, ok := known[i]; ok {
			ds = append(ds, lintCloudConfig(c, b)...)
		} else {
			body, shift, note := cloudConfigBody(p)
			if note != "" {
				ds = append(ds, diag.Diagnostic{Severity: Info, Rule: RuleTemplateNotChecked, Message: note})
			}
			if body != nil {
				for _, dg := range lintCloudConfigText(body, b) {
					if dg.Line > 0 {
						dg.Line = max(dg.Line-shift, 1)
					}
					ds = append(ds, dg)
				}
			}
		}
		label := p.Label()
		for _, dg := range ds {
			if bases != nil {
				switch base := bases[i]; {
				case base == 0:
					dg.Line, dg.Column = 0, 0
				case dg.Line > 0:
					dg.Line += base - 1
				default:
					dg.Line, dg.Column = base, 0
				}
			}
			dg.Part, dg.PartLabel = i+1, label
			out = append(out, dg)
		}
		if p.ContentType == userdata.ContentCloudConfigArchive {
			out = append(out, lintArchive(i, p, label, bases, b)...)
		}
	}
	out.Sort()
	return out
}

// RuleIgnoredPart is the rule id of the [Lint] error about a part that
// cloud-init does not act on, because no known first line types it.
const RuleIgnoredPart = "ignored-part"

// rules are the root package's own rules.
var rules = []diag.Rule{
	{ID: RuleIgnoredPart, Severity: diag.Error, Doc: "A part of user data whose first line is none of those cloud-init acts on (#cloud-config, #!, #cloud-boothook, #include, #part-handler, ## template: jinja): cloud-init ignores it. Not reported where a document rule names the cause (a BOM, a late MIME-Version, another agent's format, an empty part, the phantom part of a missing close delimiter)."},
	{ID: RuleTemplateNotChecked, Severity: diag.Info, Doc: "A jinja template (## template: jinja) with jinja syntax in it: cloud-init renders it with the instance data at boot; udkit cannot, and has not checked the cloud-config in it."},
	{ID: RuleRegisterOnce, Severity: diag.Info, Doc: "A spec registers once per instance while the hook deregisters at every shutdown, reboots included: after a reboot the instance stays deregistered."},
	{ID: RuleSpec, Severity: diag.Error, Doc: "A field of a spec (Go or spec file) that Build cannot use; the SpecError lists every one with its path and, in a spec file, its line."},
}

// OwnRules returns the root package's own rules: those of [Lint]'s
// ignored-part check and template note, [Build]'s register-once advice and [SpecError].
func OwnRules() []diag.Rule { return append([]diag.Rule(nil), rules...) }

// Rules returns every rule udkit checks: the root package's own, then
// those of the userdata, cloudconfig and unit packages (the stop-hook
// rules of [unit.Rules], then the timer rules of [unit.TimerRules]), each
// id once. [Options.Ignore] and [Lint] take these ids.
func Rules() []diag.Rule {
	var out []diag.Rule
	seen := map[string]bool{}
	for _, rs := range [][]diag.Rule{rules, userdata.Rules(), cloudconfig.Rules(), unit.Rules(), unit.TimerRules()} {
		for _, r := range rs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// checkIgnore refuses a rule id that is not one of [Rules].
func checkIgnore(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, id := range ids {
		if !known[id] {
			return fmt.Errorf("udkit: ignore: unknown rule %s; udkit.Rules() and the rule table of docs/lint.md list the rules", diag.Quote(id))
		}
	}
	return nil
}

// detectSpecFile reports whether data looks like a udkit spec file: a
// YAML mapping whose first key, after comments, is "name:" and which has
// a "deregister:" or "registry:" key at the top level.
func detectSpecFile(data []byte) bool {
	first := ""
	hook := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimRight(line, " \t\r")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if first == "" {
			first = t
		}
		if strings.HasPrefix(t, "deregister:") || strings.HasPrefix(t, "registry:") {
			hook = true
		}
	}
	return (strings.HasPrefix(first, "name:") || strings.HasPrefix(first, "version:")) && hook
}

// lintCloudConfigText parses and lints a cloud-config document; a
// document that does not parse gives its parse error as the one finding.
// The work is charged to b, the budget of the whole document body is
// part of.
func lintCloudConfigText(body []byte, b *Budget) diag.List {
	c, err := cloudconfig.Parse(body, cloudconfig.WithBudget(b))
	if err != nil {
		var pe *cloudconfig.ParseError
		if errors.As(err, &pe) {
			return diag.List{pe.Diagnostic()}
		}
		return diag.List{{Severity: Error, Rule: cloudconfig.RuleParse, Message: err.Error()}}
	}
	return lintCloudConfig(c, b)
}

// lintCloudConfig validates and lints c, lints every systemd service it
// writes that has an ExecStop= line as a stop hook, and every systemd
// timer it writes with the timer rules. Lines are those of
// the document c was parsed from, if it was. The work is charged to b:
// each distinct write_files content is decoded once, and each distinct
// service is linted once (the entries that share it, alias copies of one
// anchor, share its findings).
func lintCloudConfig(c *cloudconfig.Config, b *Budget) diag.List {
	within := cloudconfig.WithBudget(b)
	var out diag.List
	if err := c.Validate(within); err != nil {
		var ve *cloudconfig.ValidationError
		if !errors.As(err, &ve) {
			return append(out, diag.Diagnostic{Severity: Error, Rule: cloudconfig.RuleParse, Message: err.Error()})
		}
		out = append(out, ve.Diagnostics...)
	}
	out = append(out, cloudconfig.Lint(c, within)...)
	for i, f := range c.WriteFiles {
		var ds diag.List
		switch {
		case serviceFile(f.Path):
			ds, _ = budget.Memo(b, stopHookKey{f.Encoding, f.Content}, func() (diag.List, error) {
				data, err := f.Data(within)
				if err != nil || !hasExecStop(data) {
					return nil, nil // Validate reported an error
				}
				return lintUnitText(data), nil
			})
		case timerFile(f.Path):
			ds, _ = budget.Memo(b, timerKey{f.Encoding, f.Content}, func() (diag.List, error) {
				data, err := f.Data(within)
				if err != nil {
					return nil, nil // Validate reported an error
				}
				return lintUnitText(data), nil
			})
		}
		if len(ds) == 0 {
			continue
		}
		p := fmt.Sprintf("write_files[%d].content", i)
		// A literal block's lines are lines of the document; other
		// styles give the line of the value only.
		line, col := c.Position(p)
		text := c.TextLine(p)
		for _, d := range ds {
			d.Path, d.Unit, d.UnitLine = p, diag.Escape(path.Base(f.Path)), d.Line
			if text > 0 && d.Line > 0 {
				d.Line, d.Column = text+d.Line-1, 0
			} else {
				d.Line, d.Column = line, col
			}
			out = append(out, d)
		}
	}
	return out
}

// stopHookKey identifies the content of a write_files entry that writes a
// service, for the stop-hook rules.
type stopHookKey struct{ encoding, content string }

// timerKey identifies the content of a write_files entry that writes a
// timer, for the timer rules.
type timerKey struct{ encoding, content string }

// lintUnitText lints the text of a unit file: a timer (a unit with a
// [Timer] section) with the timer rules of [unit.LintTimer], any other
// unit with [unit.Lint] (the stop-hook rules, or a daemon's). A unit that does not
// parse gives its parse error as the one finding. Line is the unit line.
func lintUnitText(text []byte) diag.List {
	u, err := unit.ParseBytes(text)
	if err != nil {
		var pe *unit.ParseError
		if errors.As(err, &pe) {
			return diag.List{pe.Diagnostic()}
		}
		return diag.List{{Severity: Error, Rule: unit.RuleParse, Message: err.Error()}}
	}
	if u.Section("Timer") != nil {
		return unit.LintTimer(u)
	}
	return unit.Lint(u)
}

// serviceFile reports whether path is where a systemd service is written.
func serviceFile(path string) bool {
	return strings.HasSuffix(path, ".service") && strings.Contains(path, "/systemd/")
}

// timerFile reports whether path is where a systemd timer is written.
func timerFile(path string) bool {
	return strings.HasSuffix(path, ".timer") && strings.Contains(path, "/systemd/")
}

// isStopHookFile reports whether a write_files entry is a systemd service
// with an ExecStop= line: a stop hook, which the unit rules apply to.
func isStopHookFile(f cloudconfig.WriteFile, opts ...cloudconfig.Option) bool {
	if !serviceFile(f.Path) {
		return false
	}
	data, err := f.Data(opts...)
	return err == nil && hasExecStop(data)
}

// hasExecStop reports whether the unit text has an ExecStop= line.
func hasExecStop(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if k, _, ok := bytes.Cut(bytes.TrimSpace(line), []byte("=")); ok && string(bytes.TrimSpace(k)) == "ExecStop" {
			return true
		}
	}
	return false
}
