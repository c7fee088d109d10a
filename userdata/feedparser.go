package userdata

import (
	"fmt"
	"strings"
)

// hasBareCR reports whether s holds a \r not followed by \n.
func hasBareCR(s string) bool {
	if strings.IndexByte(s, '\r') < 0 {
		return false
	}
	for {
		i := strings.IndexByte(s, '\r')
		if i < 0 {
			return false
		}
		if i+1 == len(s) || s[i+1] != '\n' {
			return true
		}
		s = s[i+2:]
	}
}

// lineSource is feedparser.BufferedSubFile with all input present: the
// lines of src, a push-back stack, and a stack of end-of-part matchers.
// A line is named by the offset where it starts; -1 is the end of input
// (Python's ”). Lines end after each \r\n, \r or \n, as in Python's
// io.StringIO readlines with newline set to the empty string.
type lineSource struct {
	src      string
	bareCR   bool // src has a \r not followed by \n: lines may end at one
	pos      int  // the next line not read yet
	back     []int
	matchers []string // separators ("--" + boundary) of enclosing multiparts
	// The last line end computed: readline, text and isDelimiter all
	// want the end of the same line.
	memoLine, memoEnd int
}

func newLineSource(src string) lineSource {
	return lineSource{src: src, bareCR: hasBareCR(src), memoLine: -1}
}

// end returns the offset just past line i.
func (r *lineSource) end(i int) int {
	if i == r.memoLine {
		return r.memoEnd
	}
	e := r.lineEnd(i)
	r.memoLine, r.memoEnd = i, e
	return e
}

func (r *lineSource) lineEnd(i int) int {
	seg := r.src[i:]
	nl := strings.IndexByte(seg, '\n')
	if !r.bareCR {
		if nl < 0 {
			return len(r.src)
		}
		return i + nl + 1
	}
	if nl < 0 {
		nl = len(seg)
	}
	end := nl + 1 // just after the \n (or past the end: no \n)
	if cr := strings.IndexByte(seg[:nl], '\r'); cr >= 0 && cr < nl-1 {
		end = cr + 1 // a bare CR ends the line
	}
	return i + min(end, len(seg))
}

func (r *lineSource) text(i int) string {
	if i < 0 {
		return ""
	}
	return r.src[i:r.end(i)]
}

func (r *lineSource) readline() int {
	var i int
	if n := len(r.back); n > 0 {
		i = r.back[n-1]
		r.back = r.back[:n-1]
	} else if r.pos < len(r.src) {
		i = r.pos
		r.pos = r.end(i)
	} else {
		return -1
	}
	if i < 0 {
		return -1
	}
	if r.isDelimiter(i) {
		r.back = append(r.back, i)
		return -1
	}
	return i
}

// isDelimiter reports whether line i ends the current part: it matches
// the separator of an enclosing multipart.
func (r *lineSource) isDelimiter(i int) bool {
	if len(r.matchers) == 0 || i+2 > len(r.src) || r.src[i] != '-' || r.src[i+1] != '-' {
		return false
	}
	line := r.text(i)
	for j := len(r.matchers) - 1; j >= 0; j-- {
		if _, _, ok := matchBoundary(line, r.matchers[j]); ok {
			return true
		}
	}
	return false
}

func (r *lineSource) unread(i int) { r.back = append(r.back, i) }

// readRestScan enables readRest's scan for the next delimiter; tests turn
// it off to compare it with reading line by line.
var readRestScan = true

// readRest joins the lines up to the end of the current part: a substring
// of the source when they are consecutive, as they nearly always are.
func (r *lineSource) readRest() string {
	if len(r.back) == 0 && !r.bareCR && readRestScan {
		// Every line from pos on is unread and ends at a \n: the part
		// runs to the first line that starts with "--" and is a
		// delimiter, found without splitting the lines before it.
		start := r.pos
		for p := start; ; {
			k := strings.Index(r.src[p:], "--")
			if k < 0 {
				r.pos = len(r.src)
				return r.src[start:]
			}
			c := p + k
			if (c == start || r.src[c-1] == '\n') && r.isDelimiter(c) {
				r.pos = r.end(c)
				r.back = append(r.back, c) // as readline leaves it
				return r.src[start:c]
			}
			p = c + 1
		}
	}
	first, lastEnd := -1, -1
	var b *strings.Builder
	for {
		i := r.readline()
		if i < 0 {
			break
		}
		switch {
		case b != nil:
			b.WriteString(r.text(i))
		case first < 0:
			first, lastEnd = i, r.end(i)
		case i == lastEnd:
			lastEnd = r.end(i)
		default:
			b = &strings.Builder{}
			b.WriteString(r.src[first:lastEnd])
			b.WriteString(r.text(i))
		}
	}
	if b != nil {
		return b.String()
	}
	if first < 0 {
		return ""
	}
	return r.src[first:lastEnd]
}

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
	rest = trimBlanks(rest)
	switch rest {
	case "", "\r\n", "\r", "\n":
		return end, rest, true
	}
	return false, "", false
}

// trimBlanks removes leading spaces and tabs.
func trimBlanks(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
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
	hdrBuf   []int
	in       lineSource
	messages int
	lim      Limits
	// Messages and headers come out of chunks, a few allocations per
	// document instead of two per part.
	msgs []message
	hdrs []header
	ptrs []*message
	// facts records what the parser saw that cloud-init passes over in
	// silence (see doclint.go).
	facts mimeFacts
	// last is the message Python's FeedParser calls _last.
	last *message
	// Inline first buffers for the line stacks.
	backArr  [8]int
	matchArr [4]string
	hdrArr   [16]int
}

func (p *parser) newMessage() *message {
	if len(p.msgs) == cap(p.msgs) {
		p.msgs = make([]message, 0, 4)
	}
	p.msgs = append(p.msgs, message{defaultType: "text/plain"})
	return &p.msgs[len(p.msgs)-1]
}

// newParts returns an empty slice for a multipart's sub-messages, with
// room for a few, capped so that appending never reaches another's.
func (p *parser) newParts() []*message {
	const n = 4
	if cap(p.ptrs)-len(p.ptrs) < n {
		p.ptrs = make([]*message, 0, 4*n)
	}
	l := len(p.ptrs)
	p.ptrs = p.ptrs[:l+n]
	return p.ptrs[l : l : l+n]
}

// newHeaders returns an empty slice with room for n headers, capped so
// that appending to it never reaches another message's headers.
func (p *parser) newHeaders(n int) []header {
	if cap(p.hdrs)-len(p.hdrs) < n {
		p.hdrs = make([]header, 0, max(n, 16))
	}
	l := len(p.hdrs)
	p.hdrs = p.hdrs[:l+n]
	return p.hdrs[l : l : l+n]
}

type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// parseMessage is email.message_from_string.
func parseMessage(s string, lim Limits) (*message, error) {
	m, _, err := parseMessageFacts(s, lim)
	return m, err
}

// parseMessageFacts is parseMessage that also returns the structural
// facts the parser noted on the way.
func parseMessageFacts(s string, lim Limits) (*message, *mimeFacts, error) {
	p := &parser{in: newLineSource(s), lim: lim}
	p.in.back, p.in.matchers, p.hdrBuf = p.backArr[:0], p.matchArr[:0], p.hdrArr[:0]
	m, err := p.parsegen(nil, 0)
	return m, &p.facts, err
}

func (p *parser) parsegen(parent *message, depth int) (*message, error) {
	p.messages++
	if p.messages > p.lim.MaxParts {
		return nil, &parseError{fmt.Sprintf("more than %d MIME parts (Limits.MaxParts)", p.lim.MaxParts)}
	}
	if depth > p.lim.MaxDepth {
		return nil, &parseError{fmt.Sprintf("multipart nesting deeper than %d (Limits.MaxDepth)", p.lim.MaxDepth)}
	}
	msg := p.newMessage()
	p.last = msg
	if parent != nil {
		if parent.contentType() == "multipart/digest" {
			msg.defaultType = "message/rfc822"
		}
		if parent.parts == nil {
			parent.parts = p.newParts()
		}
		parent.parts = append(parent.parts, msg)
		parent.multi = true
	}
	headers := p.hdrBuf[:0] // reused: parseHeaders is done with it before any recursion
	for {
		i := p.in.readline()
		if i < 0 {
			break
		}
		line := p.in.text(i)
		if !isHeaderLine(line) {
			if !isNL(line) {
				p.in.unread(i)
			}
			break
		}
		headers = append(headers, i)
		p.facts.eol(line)
	}
	p.parseHeaders(msg, headers)
	p.hdrBuf = headers[:0]

	ct := msg.contentType()
	switch maintype(ct) {
	case "message":
		// Another RFC 2822 message follows; Python parses it as the
		// only sub-message. Not implemented: message/delivery-status
		// (blocks of headers), and a document that is itself message/*
		// (cloud-init then reports the root under the type of the last
		// part it processed).
		if ct == "message/delivery-status" || parent == nil {
			return nil, &parseError{fmt.Sprintf("%s parts are not supported (udkit does not decode them, while cloud-init reads the parts inside; send those parts directly instead)", QuoteHeader(ct))}
		}
		if _, err := p.parsegen(msg, depth+1); err != nil {
			return nil, err
		}
		return msg, nil
	case "multipart":
		return msg, p.parseMultipart(msg, depth)
	}
	msg.payload = p.in.readRest()
	return msg, nil
}

func (p *parser) parseMultipart(msg *message, depth int) error {
	boundary, ok, err := msg.boundary()
	if err != nil {
		return &parseError{"boundary parameter: " + err.Error()}
	}
	if !ok {
		// NoBoundaryInMultipartDefect: the rest is a string payload.
		p.facts.add(defectNoBoundary, p.in.pos, msg.contentType())
		p.in.readRest()
		return nil
	}
	sep := "--" + boundary
	capturingPreamble := true
	for {
		i := p.in.readline()
		if i < 0 {
			break
		}
		end, _, ok := matchBoundary(p.in.text(i), sep)
		if !ok {
			// Only the preamble reaches here: a sub-part's parse stops
			// at the next delimiter line. It is dropped: a multipart
			// message without parts gives cloud-init nothing.
			continue
		}
		p.facts.eol(p.in.text(i))
		if end {
			// The epilogue (what follows the close delimiter) is dropped.
			at := p.in.end(i)
			if epi := p.in.readRest(); strings.TrimSpace(epi) != "" {
				p.facts.add(defectEpilogue, at, epi)
			}
			return nil
		}
		if capturingPreamble {
			capturingPreamble = false
			p.in.unread(i)
			continue
		}
		for {
			i = p.in.readline()
			if _, _, ok := matchBoundary(p.in.text(i), sep); !ok {
				p.in.unread(i)
				break
			}
		}
		p.in.matchers = append(p.in.matchers, sep)
		if _, err := p.parsegen(msg, depth+1); err != nil {
			return err
		}
		// The line break before a delimiter belongs to the delimiter:
		// Python trims it from the last message it created (the sub-part,
		// or the message inside a message/* sub-part) when that holds a
		// string payload.
		if last := p.last; last != nil && !last.multi && maintype(last.contentType()) != "multipart" {
			last.payload = trimEOL(last.payload)
		}
		p.last = msg
		p.in.matchers = p.in.matchers[:len(p.in.matchers)-1]
	}
	// Without a start delimiter (StartBoundaryNotFoundDefect) Python keeps
	// the preamble as a string payload: no parts either.
	// CloseBoundaryNotFoundDefect: the parts read so far stand.
	if capturingPreamble {
		p.facts.add(defectNoStart, len(p.in.src), sep)
	} else {
		p.facts.add(defectNoClose, len(p.in.src), sep)
	}
	return nil
}

// parseHeaders is FeedParser._parse_headers with compat32's
// header_source_parse.
func (p *parser) parseHeaders(msg *message, lineNos []int) {
	first, last := -1, -1 // positions in lineNos of the current header's lines
	msg.headers = p.newHeaders(len(lineNos))
	flush := func() {
		if first < 0 {
			return
		}
		name, value, _ := strings.Cut(p.in.text(lineNos[first]), ":")
		value = trimBlanks(value)
		if last > first {
			consecutive := true
			for k := first; k < last && consecutive; k++ {
				consecutive = p.in.end(lineNos[k]) == lineNos[k+1]
			}
			if consecutive {
				// Consecutive source lines: one substring.
				value = p.in.src[p.in.end(lineNos[first])-len(value) : p.in.end(lineNos[last])]
			} else {
				var b strings.Builder
				b.WriteString(value)
				for _, n := range lineNos[first+1 : last+1] {
					b.WriteString(p.in.text(n))
				}
				value = b.String()
			}
		}
		value = strings.TrimRight(value, "\r\n")
		msg.headers = append(msg.headers, header{name, value})
		first, last = -1, -1
	}
	for i, n := range lineNos {
		line := p.in.text(n)
		if line[0] == ' ' || line[0] == '\t' {
			if first < 0 {
				continue // FirstHeaderLineIsContinuationDefect
			}
			last = i
			continue
		}
		flush()
		if strings.HasPrefix(line, "From ") {
			if i == 0 {
				continue // the Unix "From " line
			}
			if i == len(lineNos)-1 {
				p.in.unread(n)
				return
			}
			continue // MisplacedEnvelopeHeaderDefect
		}
		if strings.IndexByte(line, ':') == 0 {
			continue // missing header name
		}
		first, last = i, i
	}
	flush()
}
