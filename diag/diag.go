// Package diag is udkit's one vocabulary for findings: a [Severity] scale,
// the [Diagnostic] every linter and validator returns, the [Rule] each
// linter documents, and the one escaping function ([Escape], [Quote]) that
// every human-readable output passes untrusted text through.
//
// It depends on the standard library only and sits below the leaf packages
// (userdata, cloudconfig, unit), which all return its types; the root
// package udkit and the CLI report them unchanged.
//
// # What a severity means
//
//   - [Error]: on a real boot cloud-init or systemd will not do what the
//     document says: a part ignored, a config not loaded, a script not run,
//     a stop hook whose ExecStop= never runs, a file written elsewhere.
//   - [Warning]: it works today but is fragile, not portable, or against
//     cloud-init's schema.
//   - [Info]: advice; nothing is wrong.
//
// A finding of severity Error on a document that boots as written is a bug
// in the rule that made it.
package diag

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity ranks a [Diagnostic]: Info < Warning < Error. The zero value is
// Info.
type Severity int

// The severities, from the least to the most serious.
const (
	// Info is advice: nothing is wrong.
	Info Severity = iota
	// Warning: works as written, but fragile, not portable or against
	// cloud-init's schema.
	Warning
	// Error: a real boot will not do what the document says.
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes s as its [Severity.String] form, so findings
// serialise as "error" rather than 2 in JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Error {
		return nil, fmt.Errorf("diag: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses "info", "warning" or "error" (any case).
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "warning" or "error" (any case).
func ParseSeverity(name string) (Severity, error) {
	switch strings.ToLower(name) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("diag: unknown severity %s: use info, warning or error", Quote(name))
}

// Diagnostic is one finding. Its location fields say where; Message says
// only what is wrong and what to do, never where.
type Diagnostic struct {
	// Part is the 1-based user-data part the finding is about, or 0 when
	// the finding is about the whole document or the input is not
	// multipart (a cloud-config or unit linted on its own).
	Part int `json:"part,omitempty"`
	// PartLabel describes the part as its headers name it, already
	// escaped: `text/cloud-config "base.yaml"`. Empty when Part is 0.
	PartLabel string `json:"part_label,omitempty"`
	// Path is the place inside the part: a YAML path such as
	// "write_files[2].path", a spec field such as "deregister.command[0]",
	// or for a unit carried by write_files "write_files[0].content".
	Path string `json:"path,omitempty"`
	// Line and Column are 1-based positions in the input the finding was
	// made on (the document, part, file or unit text), 0 when unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Unit names the systemd unit a unit finding is about (its file name,
	// already escaped), when that unit is embedded in something else (a
	// write_files entry); UnitLine is the line inside that unit's text.
	Unit     string `json:"unit,omitempty"`
	UnitLine int    `json:"unit_line,omitempty"`
	// Severity grades the finding.
	Severity Severity `json:"severity"`
	// Rule is the stable id of the rule that made the finding; one of the
	// ids of the producing package's Rules().
	Rule string `json:"rule"`
	// Message says what is wrong and what to do, in lower case, without
	// the location.
	Message string `json:"message"`
	// Versions names the tool versions the finding holds for, when its
	// truth depends on them ("cloud-init >= 24.1"); empty when it holds
	// for every supported version.
	Versions string `json:"versions,omitempty"`
}

// Location formats where d is, without severity or message:
// `part 2 (text/cloud-config "x"): write_files[0].content: line 12: unit
// x.service line 5`, or "" when d has no location.
func (d Diagnostic) Location() string {
	var parts []string
	if d.Part > 0 {
		if d.PartLabel != "" {
			parts = append(parts, fmt.Sprintf("part %d (%s)", d.Part, d.PartLabel))
		} else {
			parts = append(parts, fmt.Sprintf("part %d", d.Part))
		}
	}
	if d.Path != "" {
		parts = append(parts, d.Path)
	}
	if d.Line > 0 {
		if d.Column > 0 {
			parts = append(parts, fmt.Sprintf("line %d:%d", d.Line, d.Column))
		} else {
			parts = append(parts, fmt.Sprintf("line %d", d.Line))
		}
	}
	switch {
	case d.Unit != "" && d.UnitLine > 0:
		parts = append(parts, fmt.Sprintf("unit %s line %d", d.Unit, d.UnitLine))
	case d.Unit != "":
		parts = append(parts, "unit "+d.Unit)
	case d.UnitLine > 0:
		parts = append(parts, fmt.Sprintf("unit line %d", d.UnitLine))
	}
	return strings.Join(parts, ": ")
}

// String formats d as `LOCATION: SEVERITY: MESSAGE [RULE]` (with
// " (VERSIONS)" after the message when set).
func (d Diagnostic) String() string {
	var b strings.Builder
	if loc := d.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Versions != "" {
		b.WriteString(" (")
		b.WriteString(d.Versions)
		b.WriteString(")")
	}
	if d.Rule != "" {
		b.WriteString(" [")
		b.WriteString(d.Rule)
		b.WriteString("]")
	}
	return b.String()
}

// Rule documents one check.
type Rule struct {
	// ID is stable across releases; callers match and silence rules by it.
	ID string `json:"id"`
	// Severity is the rule's usual severity (a rule may report a lower one
	// where it says so in Doc).
	Severity Severity `json:"severity"`
	// Doc says in one or two sentences what the rule checks and why.
	Doc string `json:"doc"`
}

// List is a set of findings, in document order unless sorted.
type List []Diagnostic

// Max returns the highest severity in l, and false when l is empty.
func (l List) Max() (Severity, bool) {
	if len(l) == 0 {
		return Info, false
	}
	m := l[0].Severity
	for _, d := range l[1:] {
		if d.Severity > m {
			m = d.Severity
		}
	}
	return m, true
}

// HasErrors reports whether l has a finding of severity [Error].
func (l List) HasErrors() bool {
	m, ok := l.Max()
	return ok && m == Error
}

// Errors returns the findings of severity [Error], in order.
func (l List) Errors() List { return l.AtLeast(Error) }

// AtLeast returns the findings of severity s or higher, in order.
func (l List) AtLeast(s Severity) List {
	var out List
	for _, d := range l {
		if d.Severity >= s {
			out = append(out, d)
		}
	}
	return out
}

// Without returns l less the findings whose rule is one of ids.
func (l List) Without(ids ...string) List {
	if len(ids) == 0 {
		return l
	}
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	var out List
	for _, d := range l {
		if !drop[d.Rule] {
			out = append(out, d)
		}
	}
	return out
}

// Sort orders l by part, line, unit line, path and rule, keeping the order
// of findings that compare equal.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Part != b.Part {
			return a.Part < b.Part
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.UnitLine != b.UnitLine {
			return a.UnitLine < b.UnitLine
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Rule < b.Rule
	})
}

// String formats l one finding per line.
func (l List) String() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Escape makes untrusted text (header values, YAML values, file paths,
// script lines, labels) safe to print on a terminal: every byte of invalid
// UTF-8 becomes \xNN, and every rune that is not printable (C0 and C1
// controls, DEL, ESC, bidirectional overrides and isolates, U+2028 and
// U+2029, other format characters) becomes a Go escape (\n, \r, \x1b,
// \u202e). A tab is kept; so is printable text, backslashes included. Text
// that needs none of this is returned unchanged, without allocating.
//
// Every human-readable output of udkit (lint, inspect, diff, plan,
// members, error messages) passes untrusted text through Escape or
// [Quote].
func Escape(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\t' {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || !printable(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || printable(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r) // 'X' with Go escapes
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// Quote returns s in double quotes with Go escapes for quotes,
// backslashes, invalid UTF-8 and every rune [Escape] escapes; other
// non-ASCII printable text is kept as is, so names in any script stay
// readable.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case printable(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

// printable reports whether r can be written to a terminal as is: a
// graphic rune or a space, and not a format character (bidi controls,
// zero-width joiners used to hide text) or a line/paragraph separator.
func printable(r rune) bool {
	if r == ' ' {
		return true
	}
	if unicode.Is(unicode.Cf, r) {
		return false
	}
	return unicode.IsPrint(r)
}
