package udkit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// Severity ranks a [Diagnostic]. It is [unit.Severity], so the root
// package and the unit linter share one scale and one String method.
type Severity = unit.Severity

// The severities, from the least to the most serious.
const (
	// Info is a fact worth knowing, not a fault (for example: the hook
	// never starts if its mount fails).
	Info = unit.Info
	// Warning is a likely mistake that still works as written.
	Warning = unit.Warning
	// Error means part of the user data is lost or the hook does not run
	// as meant. [Bundle.Encode] refuses user data with errors unless
	// [Options.AcceptErrors] is set.
	Error = unit.Error
)

// Diagnostic is one finding of the unit, cloud-config or user-data rules,
// on a built [Bundle] or on the input of [Lint].
type Diagnostic struct {
	// Line is the 1-based line of the finding in the input given to
	// [Lint], or 0 when unknown (always 0 in a [Bundle]).
	Line int
	// Part is the 1-based user-data part the finding is about; 0 for a
	// cloud-config or unit file linted on its own.
	Part int
	// PartName describes the part: `text/cloud-config "cloud-config"`.
	PartName string
	// Where is the place inside the part: a YAML path such as
	// "write_files[0]", followed for a unit by "unit line N"; empty for
	// findings about the whole part.
	Where    string
	Severity Severity
	// Rule is the stable id of the check, as the leaf packages name it.
	Rule string
	// Message says what is wrong and what to do.
	Message string
}

// String formats d as `part 1 (text/cloud-config "cloud-config"):
// write_files[0]: unit line 5: error: MESSAGE [RULE]`.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Part > 0 {
		fmt.Fprintf(&b, "part %d", d.Part)
		if d.PartName != "" {
			fmt.Fprintf(&b, " (%s)", d.PartName)
		}
		b.WriteString(": ")
	}
	if d.Where != "" {
		b.WriteString(d.Where)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: %s", d.Severity, d.Message)
	if d.Rule != "" {
		fmt.Fprintf(&b, " [%s]", d.Rule)
	}
	return b.String()
}

// LintError is returned when the user data has findings of severity
// [Error] and the caller did not accept them.
type LintError struct {
	// Diagnostics are the errors, in document order.
	Diagnostics []Diagnostic
}

// Error lists the errors, one per line after the first.
func (e *LintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "udkit: the user data has %d lint error(s); fix them, or set Options.AcceptErrors (--accept-errors) to render it anyway:", len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

func partName(p userdata.Part) string {
	if p.Filename == "" {
		return p.ContentType
	}
	return fmt.Sprintf("%s %q", p.ContentType, p.Filename)
}

func fromUnit(d unit.Diagnostic) (string, Severity) {
	where := ""
	if d.Line > 0 {
		where = fmt.Sprintf("unit line %d", d.Line)
	}
	return where, d.Severity
}

func fromCloudConfig(s cloudconfig.Severity) Severity {
	if s == cloudconfig.Warning {
		return Warning
	}
	return Error
}

func fromUserdata(s userdata.Severity) Severity {
	if s == userdata.Error {
		return Error
	}
	return Warning
}

// lintUnitText lints the text of a unit file with the stop-hook rules of
// [unit.Lint]. A unit that does not parse gives one diagnostic of rule
// "unit-parse" carrying the parse error.
func lintUnitText(text []byte) []Diagnostic {
	u, err := unit.Parse(strings.NewReader(string(text)))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "unit: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "unit line "); ok {
			if n, tail, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(n); err == nil {
					line, msg = l, tail
				}
			}
		}
		where := ""
		if line > 0 {
			where = fmt.Sprintf("unit line %d", line)
		}
		return []Diagnostic{{Line: line, Where: where, Severity: Error, Rule: "unit-parse", Message: msg}}
	}
	var out []Diagnostic
	for _, d := range unit.Lint(u) {
		where, sev := fromUnit(d)
		out = append(out, Diagnostic{Line: d.Line, Where: where, Severity: sev, Rule: d.Rule, Message: d.Message})
	}
	return out
}
