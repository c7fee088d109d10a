package userdata

import (
	"fmt"
	"strings"
)

// splitLines splits s after every \r\n, \r or \n, keeping the line
// endings, as Python's io.StringIO readlines does with newline set to the empty string.
func splitLines(s string) []string {
	n := strings.Count(s, "\n") + strings.Count(s, "\r") + 1
	lines := make([]string, 0, n)
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			lines = append(lines, s[start:i+1])
			start = i + 1
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			lines = append(lines, s[start:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// lineSource is feedparser.BufferedSubFile with all input present: lines,
// a push-back stack, and a stack of end-of-part matchers.
type lineSource struct {
	lines    []string
	pos      int
	back     []string
	matchers []string // separators ("--" + boundary) of enclosing multiparts
}

func (r *lineSource) readline() string {
	var line string
	if n := len(r.back); n > 0 {
		line = r.back[n-1]
		r.back = r.back[:n-1]
	} else if r.pos < len(r.lines) {
		line = r.lines[r.pos]
		r.pos++
	} else {
		return ""
	}
	for i := len(r.matchers) - 1; i >= 0; i-- {
		if _, _, ok := matchBoundary(line, r.matchers[i]); ok {
			r.back = append(r.back, line)
			return ""
		}
	}
	return line
}

func (r *lineSource) unread(line string) { r.back = append(r.back, line) }

// matchBoundary is feedparser's boundaryre:
// (?P<sep>SEP)(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$
func matchBoundary(line, sep string) (end bool, linesep string, ok bool) {
	if !strings.HasPrefix(line, sep) {
		return false, "", false
	}
	rest := line[len(sep):]
	if strings.HasPrefix(rest, "--") {
		end = true
		rest = rest[2:]
	}
	rest = strings.TrimLeft(rest, " \t")
	switch rest {
	case "", "\r\n", "\r", "\n":
		return end, rest, true
	}
	return false, "", false
}

// isNL is NLCRE.match: the line starts with a line ending (so it is one).
func isNL(line string) bool {
	return line != "" && (line[0] == '\r' || line[0] == '\n')
}

// isHeaderLine is headerRE: ^(From |[\041-\071\073-\176]*:|[\t ]).
func isHeaderLine(line string) bool {
	if strings.HasPrefix(line, "From ") || (line != "" && (line[0] == ' ' || line[0] == '\t')) {
		return true
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == ':' {
			return true
		}
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return false
}

// trimEOL removes one trailing line ending (NLCRE_eol).
func trimEOL(s string) string {
	switch {
	case strings.HasSuffix(s, "\r\n"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "\n"), strings.HasSuffix(s, "\r"):
		return s[:len(s)-1]
	}
	return s
}

// parser is email.feedparser.FeedParser (compat32) run over a complete
// string, with bounds.
type parser struct {
	in       lineSource
	messages int
	lim      Limits
}

type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// parseMessage is email.message_from_string.
func parseMessage(s string, lim Limits) (*message, error) {
	p := &parser{in: lineSource{lines: splitLines(s)}, lim: lim}
	return p.parsegen(nil, 0)
}

func (p *parser) parsegen(parent *message, depth int) (*message, error) {
	p.messages++
	if p.messages > p.lim.MaxParts {
		return nil, &parseError{fmt.Sprintf("more than %d MIME parts (Limits.MaxParts)", p.lim.MaxParts)}
	}
	if depth > p.lim.MaxDepth {
		return nil, &parseError{fmt.Sprintf("multipart nesting deeper than %d (Limits.MaxDepth)", p.lim.MaxDepth)}
	}
	msg := &message{defaultType: "text/plain"}
	if parent != nil {
		if parent.contentType() == "multipart/digest" {
			msg.defaultType = "message/rfc822"
		}
		parent.parts = append(parent.parts, msg)
		parent.multi = true
	}
	var headers []string
	for {
		line := p.in.readline()
		if line == "" {
			break
		}
		if !isHeaderLine(line) {
			if !isNL(line) {
				p.in.unread(line)
			}
			break
		}
		headers = append(headers, line)
	}
	p.parseHeaders(msg, headers)

	ct := msg.contentType()
	switch maintype(ct) {
	case "message":
		return nil, &parseError{fmt.Sprintf("%s parts are not supported (cloud-init has no handler for them)", ct)}
	case "multipart":
		return msg, p.parseMultipart(msg, depth)
	}
	var b strings.Builder
	for {
		line := p.in.readline()
		if line == "" {
			break
		}
		b.WriteString(line)
	}
	msg.payload = b.String()
	return msg, nil
}

func (p *parser) parseMultipart(msg *message, depth int) error {
	boundary, ok, err := msg.boundary()
	if err != nil {
		return &parseError{"boundary parameter: " + err.Error()}
	}
	if !ok {
		// NoBoundaryInMultipartDefect: the rest is a string payload.
		msg.payload = p.rest()
		return nil
	}
	sep := "--" + boundary
	capturingPreamble := true
	var preamble []string
	for {
		line := p.in.readline()
		if line == "" {
			break
		}
		end, _, ok := matchBoundary(line, sep)
		if !ok {
			// Only the preamble reaches here: a sub-part's parse stops
			// at the next delimiter line.
			preamble = append(preamble, line)
			continue
		}
		if end {
			if capturingPreamble {
				// A close delimiter before any open one: Python keeps
				// the preamble as a string payload, so no parts.
				msg.payload = strings.Join(preamble, "")
			}
			// The epilogue (what follows the close delimiter) is dropped.
			p.rest()
			return nil
		}
		if capturingPreamble {
			capturingPreamble = false
			p.in.unread(line)
			continue
		}
		for {
			line = p.in.readline()
			if _, _, ok := matchBoundary(line, sep); !ok {
				p.in.unread(line)
				break
			}
		}
		p.in.matchers = append(p.in.matchers, sep)
		sub, err := p.parsegen(msg, depth+1)
		if err != nil {
			return err
		}
		if !sub.multi && maintype(sub.contentType()) != "multipart" {
			sub.payload = trimEOL(sub.payload)
		}
		p.in.matchers = p.in.matchers[:len(p.in.matchers)-1]
	}
	if capturingPreamble {
		// StartBoundaryNotFoundDefect: the preamble becomes a string
		// payload.
		msg.payload = strings.Join(preamble, "")
		p.rest()
		return nil
	}
	// CloseBoundaryNotFoundDefect: the parts read so far stand.
	return nil
}

// rest consumes the input up to the end of the current part.
func (p *parser) rest() string {
	var b strings.Builder
	for {
		line := p.in.readline()
		if line == "" {
			return b.String()
		}
		b.WriteString(line)
	}
}

// parseHeaders is FeedParser._parse_headers with compat32's
// header_source_parse.
func (p *parser) parseHeaders(msg *message, lines []string) {
	lastHeader := ""
	var lastValue []string
	flush := func() {
		if lastHeader == "" {
			return
		}
		name, value, _ := strings.Cut(lastValue[0], ":")
		value = strings.TrimLeft(value, " \t") + strings.Join(lastValue[1:], "")
		value = strings.TrimRight(value, "\r\n")
		msg.headers = append(msg.headers, header{name, value})
		lastHeader, lastValue = "", nil
	}
	for i, line := range lines {
		if line[0] == ' ' || line[0] == '\t' {
			if lastHeader == "" {
				continue // FirstHeaderLineIsContinuationDefect
			}
			lastValue = append(lastValue, line)
			continue
		}
		flush()
		if strings.HasPrefix(line, "From ") {
			if i == 0 {
				continue // the Unix "From " line
			}
			if i == len(lines)-1 {
				p.in.unread(line)
				return
			}
			continue // MisplacedEnvelopeHeaderDefect
		}
		j := strings.IndexByte(line, ':')
		if j == 0 {
			continue // missing header name
		}
		lastHeader = line[:j]
		lastValue = []string{line}
	}
	flush()
}
