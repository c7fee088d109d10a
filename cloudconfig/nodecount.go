package cloudconfig

import "bytes"

// minNodes returns a lower bound of the number of nodes yaml.v3 builds for
// data, for any data it parses without error, without building them: a
// dense document (1 MiB of "{a,a,a,...}" is a million nodes) takes about
// 200 bytes a node in yaml.v3's tree, which Parse would refuse only after
// building it. It stops counting past stop and returns the line where it
// did (0 when it did not).
//
// It reads the document line by line with a few YAML rules and, where it
// cannot tell what a piece of text is, counts nothing: each ',' in a flow
// collection (outside quotes and comments) counts one node, the entry
// before it; a block sequence entry ("- ") one; a block mapping key
// ("key:" at the start of an entry) two, the key and its value. Block
// scalars, quoted scalars and the lines that may continue a plain scalar
// are skipped. FuzzMinNodes checks the bound against yaml.v3.
func minNodes(data []byte, stop int) (count, line int) {
	var (
		depth      int  // flow depth
		quote      byte // the quote of a quoted scalar spanning lines, or 0
		skip       = -1 // skip lines indented more than this (block scalars, plain scalars), -1 none
		inFlow     bool // the open quote is inside a flow collection
		done       bool // nothing more is counted: the document is a scalar, or a line is left of its node
		rootIndent = -1
		flowRoot   bool // the document's own node is a flow collection
		lineNo     int
		flowLine   = func(s []byte) {}
	)
	// scanQuote returns the index after the closing quote q in s, or -1.
	scanQuote := func(s []byte, q byte) int {
		for i := 0; i < len(s); i++ {
			switch {
			case q == '"' && s[i] == '\\':
				i++
			case s[i] == q:
				if q == '\'' && i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return -1
	}
	// flowLine scans text inside a flow collection.
	flowLine = func(s []byte) {
		start := true // at the start of a scalar: a quote opens one
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
				return
			case (c == '"' || c == '\'') && start:
				j := scanQuote(s[i+1:], c)
				if j < 0 {
					quote, inFlow = c, true
					return
				}
				i += j
				start = false
			case c == '[' || c == '{':
				// Not counted: the collection is the node its key
				// or entry already counted.
				depth++
				start = true
			case c == ']' || c == '}':
				depth--
				if depth == 0 {
					done = done || flowRoot
					return // the rest of the line is not counted
				}
				start = false
			case c == ',':
				count++
				start = true
			case c == ':' || c == ' ' || c == '\t' || c == '?':
				// a value or key may follow
				if c == ':' {
					start = true
				}
			default:
				start = false
			}
		}
	}
	// value handles what follows "key: " or "- " (or starts a line);
	// root says it is the document's own node, which a scalar may
	// continue on lines of any indentation.
	//
	// own says the value starts its line (no "key:" or "- " before it):
	// then lines as indented as it, or less, may continue it too (its
	// parent's indentation is not known here).
	var value func(s []byte, indent int, root, own bool)
	value = func(s []byte, indent int, root, own bool) {
		// scalar skips the lines that may continue a scalar; after the
		// document's own scalar, every line may.
		scalar := func() {
			skip = indent
			if own {
				skip = rootIndent
			}
			if root {
				done = true
			}
		}
		s = bytes.TrimLeft(s, " ")
		props := false
		for len(s) > 0 && (s[0] == '&' || s[0] == '!') {
			props = true
			// anchor or tag: skip it
			i := bytes.IndexByte(s, ' ')
			if i < 0 {
				// The node follows on the next lines, where a
				// scalar could go on at any depth.
				scalar()
				return
			}
			s = bytes.TrimLeft(s[i:], " ")
		}
		if len(s) == 0 || s[0] == '#' {
			if props {
				// The node follows on the next lines, where a
				// scalar could go on at any depth.
				scalar()
			}
			return // the value is on the following lines
		}
		switch c := s[0]; c {
		case '[', '{':
			flowLine(s)
			if root {
				// Whatever follows the document's own flow
				// collection is not modelled here.
				done = depth == 0
				flowRoot = true
			}
		case '|', '>':
			scalar()
		case '"', '\'':
			j := scanQuote(s[1:], c)
			if j < 0 {
				quote, inFlow = c, false
				scalar()
				return
			}
			rest := bytes.TrimLeft(s[1+j:], " ")
			if len(rest) > 0 && rest[0] == ':' && (len(rest) == 1 || rest[1] == ' ') {
				count += 2
				value(rest[1:], indent, false, false)
				return
			}
			scalar()
		case '*', '?', '%', '@', '`':
			scalar()
		default:
			// A plain scalar, or a plain key followed by ": ".
			for i := 0; i < len(s); i++ {
				if s[i] == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
					break
				}
				if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
					count += 2
					value(s[i+1:], indent, false, false)
					return
				}
			}
			scalar()
		}
	}
	if len(data) >= 2 && (data[0] == 0xff || data[0] == 0xfe || data[0] == 0xef || data[0] == 0 || data[1] == 0) {
		return 0, 0 // a byte order mark or UTF-16: not modelled here (Parse refuses it)
	}
	for len(data) > 0 && count <= stop && !done {
		var l []byte
		l, data = nextLine(data)
		lineNo++
		if quote != 0 {
			j := scanQuote(l, quote)
			if j < 0 {
				continue
			}
			quote = 0
			if inFlow && depth > 0 {
				flowLine(l[j:])
			}
			continue
		}
		if depth > 0 {
			flowLine(l)
			continue
		}
		indent := 0
		for indent < len(l) && l[indent] == ' ' {
			indent++
		}
		rest := l[indent:]
		if skip >= 0 {
			if len(rest) == 0 || indent > skip {
				continue
			}
			skip = -1
		}
		if len(rest) == 0 || rest[0] == '#' || rest[0] == '\t' {
			continue
		}
		if rootIndent < 0 {
			rootIndent = indent
		} else if indent < rootIndent {
			break // yaml.v3 reads on in ways not modelled here
		}
		if indent == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("..."))) {
			// A document marker: what follows it on the line, or a
			// second document, is not modelled here.
			if rootIndent >= 0 || len(bytes.TrimSpace(rest[3:])) > 0 {
				break
			}
			continue
		}
		if indent == 0 && rest[0] == '%' && rootIndent < 0 {
			continue // a directive
		}
		root, own := indent == rootIndent, true
		for len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ') {
			count++
			rest = bytes.TrimLeft(rest[1:], " ")
			root, own = false, false
		}
		value(rest, indent, root, own)
	}
	if count > stop {
		return count, lineNo
	}
	return count, 0
}

// nextLine splits off the first line of data at a line break as yaml.v3
// (libyaml) knows them: LF, CR LF, CR, NEL (U+0085), LS (U+2028) and PS
// (U+2029).
func nextLine(data []byte) (line, rest []byte) {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\n':
			return data[:i], data[i+1:]
		case c == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				return data[:i], data[i+2:]
			}
			return data[:i], data[i+1:]
		case c == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
			return data[:i], data[i+2:]
		case c == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
			return data[:i], data[i+3:]
		}
	}
	return data, nil
}
