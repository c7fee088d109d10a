package unit

// The parser as it was before Parse split lines itself over one string
// (bufio, one copy per line): kept as the reference that
// TestParseSameAsReference and FuzzParseSameAsReference hold the current
// Parse to, unit for unit and error for error.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

func parseReference(r io.Reader) (*Unit, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxSize+1))
	p := &refParser{u: &Unit{}}
	for {
		raw, err := refReadLine(br, MaxLineLen+2)
		eof := errors.Is(err, io.EOF)
		switch {
		case errors.Is(err, errRefLineTooLong):
			return nil, parseErrorf(p.lineNo+1, "line is over %d bytes; shorten it", MaxLineLen)
		case err != nil && !eof:
			return nil, fmt.Errorf("unit: reading: %w", err)
		}
		if len(raw) > 0 {
			if err := p.physical(raw); err != nil {
				return nil, err
			}
		}
		if eof {
			break
		}
	}
	if p.cont != nil {
		// systemd parses a continuation left open at the end of the file.
		if err := p.u.refParseLine(string(p.cont), p.contStart); err != nil {
			return nil, err
		}
	}
	return p.u, nil
}

// parser holds the state of Parse between physical lines.
type refParser struct {
	u         *Unit
	total     int    // bytes read so far
	lineNo    int    // number of the last physical line read
	cont      []byte // logical line being continued, nil if none
	contStart int    // line where the logical line started
}

// physical handles one physical line, with its line ending.
func (p *refParser) physical(raw []byte) error {
	p.lineNo++
	p.total += len(raw)
	if p.total > MaxSize {
		return parseErrorf(p.lineNo, "input is over %d bytes; a unit file is never that large", MaxSize)
	}
	line := bytes.TrimSuffix(raw, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if p.lineNo == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	if len(line) > MaxLineLen {
		return parseErrorf(p.lineNo, "line is %d bytes, over the %d-byte limit; shorten it", len(line), MaxLineLen)
	}
	if err := refCheckText(string(line)); err != nil {
		return &ParseError{Line: p.lineNo, Message: err.Error()}
	}
	if t := bytes.TrimLeft(line, whitespace); len(t) > 0 && (t[0] == '#' || t[0] == ';') {
		return nil // a comment, also inside a continuation
	}
	var logical []byte
	if p.cont != nil {
		logical, p.cont = append(p.cont, line...), nil
	} else {
		logical, p.contStart = append([]byte(nil), line...), p.lineNo
	}
	if len(logical) > MaxLineLen {
		return parseErrorf(p.contStart, "continued line is %d bytes, over the %d-byte limit; shorten it", len(logical), MaxLineLen)
	}
	if endsEscaped(logical) {
		logical[len(logical)-1] = ' '
		p.cont = logical
		return nil
	}
	return p.u.refParseLine(string(logical), p.contStart)
}

var errRefLineTooLong = errors.New("line too long")

// readLine returns the next line including its "\n", or an error
// errRefLineTooLong once it exceeds max bytes.
func refReadLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > max {
			return nil, errRefLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

func (u *Unit) refParseLine(l string, lineNo int) error {
	l = strings.Trim(l, whitespace)
	if l == "" {
		return nil
	}
	if l[0] == '[' {
		if l[len(l)-1] != ']' {
			return parseErrorf(lineNo, "section header %q does not end in ']'", l)
		}
		name := l[1 : len(l)-1]
		if err := checkSectionName(name); err != nil {
			return &ParseError{Line: lineNo, Message: err.Error()}
		}
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
	if endsEscaped([]byte(value)) {
		return parseErrorf(lineNo, "value of %s ends in a lone backslash; write \\\\ for a literal backslash", key)
	}
	s := &u.Sections[len(u.Sections)-1]
	s.Options = append(s.Options, Option{Key: key, Value: value, Line: lineNo})
	return nil
}

func refCheckText(s string) error {
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
