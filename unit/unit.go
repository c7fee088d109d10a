package unit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/udkit/udkit/diag"
)

// MaxLineLen is the longest line, in bytes, that [Parse] accepts and
// [Unit.Marshal] writes; a value joined from continuation lines counts as
// one line. systemd releases before late 2017 read unit files into a
// 2048-byte (LINE_MAX) buffer and silently split a longer line, parsing the
// rest as a line of its own: a long value could inject options
// (systemd/systemd#3302, fixed by #6883). Current systemd, 252 included,
// accepts lines up to 1 MiB, but a unit meant for any host stays within the
// old limit.
const MaxLineLen = 2048

// MaxSize is the largest unit file, in bytes, that [Parse] reads. Larger
// input is an error, so parsing never holds unbounded memory.
const MaxSize = 1 << 20

// Unit is a systemd unit file: sections in file order, each with its
// options in file order. A section name may appear more than once, as may a
// key within a section; systemd reads them in order, and so do [Unit.Values]
// and [Lint].
type Unit struct {
	Sections []Section
}

// Section is one [Name] block of a unit file.
type Section struct {
	Name    string
	Options []Option
	// Line is the 1-based line of the section header in the parsed input,
	// or 0 for a section built in code.
	Line int
}

// Option is one Key=Value assignment. Value is what systemd reads: leading
// and trailing whitespace removed, continuation lines joined. An empty Value
// is meaningful: for list options it resets the list.
type Option struct {
	Key   string
	Value string
	// Line is the 1-based line where the option starts in the parsed input,
	// or 0 for an option built in code.
	Line int
}

// Section returns the first section called name, or nil.
func (u *Unit) Section(name string) *Section {
	for i := range u.Sections {
		if u.Sections[i].Name == name {
			return &u.Sections[i]
		}
	}
	return nil
}

// Values returns the values of every key option in every section called
// section, in file order.
func (u *Unit) Values(section, key string) []string {
	var vs []string
	for _, s := range u.Sections {
		if s.Name == section {
			vs = append(vs, s.Values(key)...)
		}
	}
	return vs
}

// Options returns every key option in every section called section, in
// file order, with their lines.
func (u *Unit) Options(section, key string) []Option {
	var os []Option
	for _, s := range u.Sections {
		if s.Name != section {
			continue
		}
		for _, o := range s.Options {
			if o.Key == key {
				os = append(os, o)
			}
		}
	}
	return os
}

// Add appends Key=Value to the last section called section, creating the
// section at the end of the unit if there is none.
func (u *Unit) Add(section, key, value string) {
	for i := len(u.Sections) - 1; i >= 0; i-- {
		if u.Sections[i].Name == section {
			u.Sections[i].Options = append(u.Sections[i].Options, Option{Key: key, Value: value})
			return
		}
	}
	u.Sections = append(u.Sections, Section{Name: section, Options: []Option{{Key: key, Value: value}}})
}

// Values returns the values of every key option in s, in order.
func (s *Section) Values(key string) []string {
	var vs []string
	for _, o := range s.Options {
		if o.Key == key {
			vs = append(vs, o.Value)
		}
	}
	return vs
}

// Marshal renders u as a unit file: each section as a [Name] header
// followed by one Key=Value line per option, sections separated by one empty
// line, and exactly one trailing newline. The same unit always gives the
// same bytes, and [Parse] reads them back to the same sections and options.
//
// Marshal writes values as they are and never wraps them, so it refuses a
// value systemd would read differently: one holding a newline, carriage
// return or other control character (it would start a new key or section),
// leading or trailing whitespace (systemd strips it), a trailing lone
// backslash (a continuation), invalid UTF-8, or a line over [MaxLineLen]
// bytes. Keys and section names are checked too. The error names the
// section, the key and the option's position.
func (u *Unit) Marshal() ([]byte, error) {
	// The exact size, so that the buffer is allocated once.
	n := 0
	for _, s := range u.Sections {
		n += len(s.Name) + 4
		for _, o := range s.Options {
			n += len(o.Key) + len(o.Value) + 2
		}
	}
	var b bytes.Buffer
	b.Grow(n)
	for i, s := range u.Sections {
		if err := checkSectionName(s.Name); err != nil {
			return nil, fmt.Errorf("unit: section %d: %w", i+1, err)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte('[')
		b.WriteString(s.Name)
		b.WriteString("]\n")
		for j, o := range s.Options {
			if err := checkKey(o.Key); err != nil {
				return nil, fmt.Errorf("unit: [%s] option %d: %w", s.Name, j+1, err)
			}
			if err := checkValue(o.Value); err != nil {
				return nil, fmt.Errorf("unit: [%s] %s (option %d): %w", s.Name, o.Key, j+1, err)
			}
			if n := len(o.Key) + 1 + len(o.Value); n > MaxLineLen {
				return nil, fmt.Errorf("unit: [%s] %s (option %d): line is %d bytes, over the %d-byte limit; shorten the value or move data into a file the unit reads", s.Name, o.Key, j+1, n, MaxLineLen)
			}
			b.WriteString(o.Key)
			b.WriteByte('=')
			b.WriteString(o.Value)
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

// ParseError is the error of [Parse]: the unit line that systemd would
// not read as written, and why.
type ParseError struct {
	// Line is the 1-based line of the unit text.
	Line int
	// Message says what is wrong and what to do, without the line.
	Message string
}

// Error formats e as "unit line N: MESSAGE".
func (e *ParseError) Error() string {
	return fmt.Sprintf("unit line %d: %s", e.Line, e.Message)
}

// Diagnostic returns e as a finding of rule [RuleParse].
func (e *ParseError) Diagnostic() diag.Diagnostic {
	return diag.Diagnostic{Line: e.Line, Severity: diag.Error, Rule: RuleParse, Message: e.Message}
}

func parseErrorf(line int, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Message: fmt.Sprintf(format, args...)}
}

// Parse reads a unit file the way systemd's configuration parser does:
// lines end at "\n" (a "\r\n" ending is accepted), a line whose first
// non-blank character is '#' or ';' is a comment (also between continuation
// lines), a line ending in an unescaped backslash continues on the next one
// (the backslash becomes a space), "[Name]" starts a section, and "Key=Value"
// adds an option with the whitespace around key and value removed. A UTF-8
// byte-order mark at the start is skipped.
//
// Parse is stricter than systemd, which warns about a bad line and goes on:
// every such line is a *[ParseError] with its line. Rejected too
// are control characters other than tab (a bare carriage return or NUL ends
// a line for systemd), invalid UTF-8, lines over [MaxLineLen] bytes and
// input over [MaxSize] bytes. Whatever Parse accepts, [Unit.Marshal] renders
// back to a file that parses to the same sections and options.
func Parse(r io.Reader) (*Unit, error) {
	// One read of at most MaxSize+1 bytes (more is an error at the
	// line that crosses MaxSize), sized by the reader when it knows its
	// length, then the same parse as ParseBytes.
	size := 512
	if l, ok := r.(interface{ Len() int }); ok {
		size = min(l.Len(), MaxSize) + 1
	}
	buf := make([]byte, 0, size)
	lr := io.LimitReader(r, MaxSize+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// The lines read before the error are parsed (their
			// errors come first); the line the error cut is not.
			if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
				if _, perr := parseText(string(buf[:i+1]), false); perr != nil {
					return nil, perr
				}
			}
			return nil, fmt.Errorf("unit: reading: %w", err)
		}
	}
	return parseText(string(buf), true)
}

// ParseBytes is [Parse] of data: the same unit or the same error, without
// the reader. The unit does not refer to data.
func ParseBytes(data []byte) (*Unit, error) {
	if len(data) > MaxSize+1 {
		data = data[:MaxSize+1] // Parse reads no further either
	}
	return parseText(string(data), true)
}

// parseText parses the unit text s, at most MaxSize+1 bytes, line by
// line; with end, s is the whole input and a continuation left open at
// its end is parsed too.
func parseText(s string, end bool) (*Unit, error) {
	p := &parser{u: &Unit{}}
	// One backing array for every section's options (a section's slice
	// is capped where the next section starts, so that appending to it
	// never overwrites the next section's options).
	p.opts = make([]Option, 0, strings.Count(s, "\n")+1)
	p.u.Sections = make([]Section, 0, strings.Count(s, "\n[")+1)
	for len(s) > 0 {
		raw := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			raw, s = s[:i+1], s[i+1:]
		} else {
			s = ""
		}
		if len(raw) > MaxLineLen+2 {
			return nil, parseErrorf(p.lineNo+1, "line is over %d bytes; shorten it", MaxLineLen)
		}
		if err := p.physical(raw); err != nil {
			return nil, err
		}
	}
	if p.cont != nil && end {
		// systemd parses a continuation left open at the end of the file.
		if err := p.parseLine(string(p.cont), p.contStart); err != nil {
			return nil, err
		}
	}
	p.closeSection()
	if len(p.u.Sections) == 0 {
		p.u.Sections = nil
	}
	return p.u, nil
}

// parser holds the state of Parse between physical lines.
type parser struct {
	u         *Unit
	opts      []Option // backing array of the sections' options
	optsFrom  int      // where the last section's options start in opts
	total     int      // bytes read so far
	lineNo    int      // number of the last physical line read
	cont      []byte   // logical line being continued, nil if none
	contStart int      // line where the logical line started
}

// physical handles one physical line, with its line ending.
func (p *parser) physical(raw string) error {
	p.lineNo++
	p.total += len(raw)
	if p.total > MaxSize {
		return parseErrorf(p.lineNo, "input is over %d bytes; a unit file is never that large", MaxSize)
	}
	line := strings.TrimSuffix(raw, "\n")
	line = strings.TrimSuffix(line, "\r")
	if p.lineNo == 1 {
		line = strings.TrimPrefix(line, "\xef\xbb\xbf")
	}
	if len(line) > MaxLineLen {
		return parseErrorf(p.lineNo, "line is %d bytes, over the %d-byte limit; shorten it", len(line), MaxLineLen)
	}
	if err := checkText(line); err != nil {
		return &ParseError{Line: p.lineNo, Message: err.Error()}
	}
	if t := strings.TrimLeft(line, whitespace); len(t) > 0 && (t[0] == '#' || t[0] == ';') {
		return nil // a comment, also inside a continuation
	}
	if p.cont == nil {
		// The common case: the logical line is the physical one, a
		// substring of the input (its length was checked above).
		p.contStart = p.lineNo
		if endsEscaped(line) {
			p.cont = append([]byte(nil), line...)
			p.cont[len(p.cont)-1] = ' '
			return nil
		}
		return p.parseLine(line, p.contStart)
	}
	logical := append(p.cont, line...)
	p.cont = nil
	if len(logical) > MaxLineLen {
		return parseErrorf(p.contStart, "continued line is %d bytes, over the %d-byte limit; shorten it", len(logical), MaxLineLen)
	}
	if endsEscaped(logical) {
		logical[len(logical)-1] = ' '
		p.cont = logical
		return nil
	}
	return p.parseLine(string(logical), p.contStart)
}

// closeSection caps the last section's options where they end in p.opts.
func (p *parser) closeSection() {
	if n := len(p.u.Sections); n > 0 {
		p.u.Sections[n-1].Options = p.opts[p.optsFrom:len(p.opts):len(p.opts)]
		if len(p.u.Sections[n-1].Options) == 0 {
			p.u.Sections[n-1].Options = nil
		}
	}
	p.optsFrom = len(p.opts)
}

// parseLine adds the logical line l, which starts on line lineNo, to the
// unit: a section header or an option of the last section.
func (p *parser) parseLine(l string, lineNo int) error {
	l = strings.Trim(l, whitespace)
	if l == "" {
		return nil
	}
	u := p.u
	if l[0] == '[' {
		if l[len(l)-1] != ']' {
			return parseErrorf(lineNo, "section header %q does not end in ']'", l)
		}
		name := l[1 : len(l)-1]
		if err := checkSectionName(name); err != nil {
			return &ParseError{Line: lineNo, Message: err.Error()}
		}
		p.closeSection()
		u.Sections = append(u.Sections, Section{Name: name, Line: lineNo})
		return nil
	}
	eq := strings.IndexByte(l, '=')
	if eq < 0 {
		return parseErrorf(lineNo, "%q is neither Key=Value nor a [Section] header; add the '=' or comment the line out with '#'", l)
	}
	if len(u.Sections) == 0 {
		return parseErrorf(lineNo, "option %q comes before any [Section] header; move it into the section it belongs to", l[:eq])
	}
	key := strings.Trim(l[:eq], whitespace)
	if err := checkKey(key); err != nil {
		return &ParseError{Line: lineNo, Message: err.Error()}
	}
	value := strings.Trim(l[eq+1:], whitespace)
	if endsEscaped(value) {
		return parseErrorf(lineNo, "value of %s ends in a lone backslash; write \\\\ for a literal backslash", key)
	}
	p.opts = append(p.opts, Option{Key: key, Value: value, Line: lineNo})
	return nil
}

const whitespace = " \t"

// endsEscaped reports whether b ends in a backslash that escapes the line
// end, as systemd's scan of the line decides it.
func endsEscaped[T string | []byte](b T) bool {
	escaped := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if escaped {
			escaped = false
		} else if c == '\\' {
			escaped = true
		}
	}
	return escaped
}

// checkText rejects invalid UTF-8 and control characters other than tab.
func checkText(s string) error {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return nil // printable ASCII and tabs
	}
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	for _, r := range s {
		switch {
		case r == '\n':
			return errors.New("value contains a newline, which would start a new line of the unit; use one option per line or a continuation backslash")
		case r == '\r':
			return errors.New("contains a carriage return, which systemd reads as a line break; remove it")
		case r == '\t':
		case r < 0x20 || r == 0x7f:
			return fmt.Errorf("contains control character %U; remove it", r)
		}
	}
	return nil
}

func checkValue(v string) error {
	if err := checkText(v); err != nil {
		return err
	}
	if strings.Trim(v, whitespace) != v {
		return fmt.Errorf("value %q has leading or trailing whitespace, which systemd strips; trim it", v)
	}
	if endsEscaped(v) {
		return fmt.Errorf("value %q ends in a lone backslash, which systemd reads as a line continuation; write \\\\ for a literal backslash", v)
	}
	return nil
}

func checkKey(k string) error {
	if k == "" {
		return errors.New("empty key; write Key=Value")
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("key %q has character %q; keys are letters, digits, '-', '_' and '.'", k, c)
		}
	}
	return nil
}

func checkSectionName(n string) error {
	if n == "" {
		return errors.New("empty section name")
	}
	if err := checkText(n); err != nil {
		return fmt.Errorf("section name %q: %w", n, err)
	}
	if strings.ContainsAny(n, "[]\t") || strings.Trim(n, " ") != n {
		return fmt.Errorf("section name %q has brackets, tabs or surrounding spaces; use a name like Service", n)
	}
	if l := len(n) + 2; l > MaxLineLen {
		return fmt.Errorf("section name of %d bytes makes a %d-byte [header] line, over the %d-byte limit (MaxLineLen); use a name like Service", len(n), l, MaxLineLen)
	}
	return nil
}
