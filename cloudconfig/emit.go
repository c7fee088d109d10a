package cloudconfig

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// emitYAML appends root, a mapping node, to out as YAML, byte for byte as
// yaml.v3's Encoder with SetIndent(2) writes it (yaml.v3 sets no line
// width, so nothing is folded). It walks the node tree once, with no
// event queue and no per-scalar allocations, which makes it several times
// faster than yaml.v3's Encoder on the configs Marshal renders.
//
// It follows libyaml's emitter (the state yaml.v3 keeps: indent, column,
// whether the last character written was white space or indentation, the
// flow level) for what cloud-configs hold: block mappings with scalar
// keys, block and flow sequences, and scalars in every style but folded.
// For anything else (comments, anchors and aliases, explicit tags that
// must be written, flow or empty mappings, folded scalars, complex keys,
// invalid UTF-8) it returns ok == false and Marshal uses yaml.v3's
// Encoder instead, so the output is the same either way. The tests
// compare the two on every cloud-config in testdata and in a fuzz target.
func emitYAML(out []byte, root *yaml.Node) (_ []byte, ok bool) {
	out, why := emitYAMLWhy(out, root)
	return out, why == ""
}

// emitYAMLWhy is emitYAML; it says why it gave up ("" when it did not).
func emitYAMLWhy(out []byte, root *yaml.Node) ([]byte, string) {
	if root.Kind != yaml.MappingNode {
		return out, "not a mapping"
	}
	e := emitter{out: out, indent: -1, whitespace: true, indention: true, ok: true}
	e.node(root, stOther, false)
	if !e.ok {
		return out, e.why
	}
	// The implicit document end: a line break unless one was written.
	e.indent = -1
	e.writeIndent()
	return e.out, ""
}

// whyBadTag is why emitYAML gives up on a tag that is not valid UTF-8,
// which yaml.v3's Encoder cannot write either (it does not return).
const whyBadTag = "a tag that is not valid UTF-8"

// parentState is what yaml.v3's emitter has on top of its state stack when
// a node starts: the one case that changes indentation is a node that is
// an item of a block sequence (indented past the "- ").
type parentState uint8

const (
	stOther parentState = iota
	stBlockSeqItem
)

const emIndent = 2 // Marshal's SetIndent(2)

type emitter struct {
	out        []byte
	indent     int
	column     int
	flowLevel  int
	whitespace bool // the last character written is white space
	indention  bool // only indentation since the last line break
	ok         bool
	why        string // why it gave up
}

// fail gives up: the caller falls back to yaml.v3. why is for tests.
func (e *emitter) fail(why string) {
	if e.ok {
		e.ok, e.why = false, why
	}
}

func (e *emitter) increaseIndent(flow bool, p parentState) int {
	old := e.indent
	switch {
	case e.indent < 0:
		if flow {
			e.indent = emIndent
		} else {
			e.indent = 0
		}
	case p == stBlockSeqItem:
		e.indent += 2
	default:
		e.indent = emIndent * ((e.indent + emIndent) / emIndent)
	}
	return old
}

func (e *emitter) put(b byte) {
	e.out = append(e.out, b)
	e.column++
}

func (e *emitter) putBreak() {
	e.out = append(e.out, '\n')
	e.column = 0
	e.indention = true
}

// write copies the character at s[i] and returns the index after it.
func (e *emitter) write(s string, i int) int {
	w := charWidth(s[i])
	e.out = append(e.out, s[i:i+w]...)
	e.column++
	return i + w
}

func (e *emitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return i + 1
	}
	i = e.write(s, i)
	e.column = 0
	e.indention = true
	return i
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
}

func (e *emitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.out = append(e.out, ind...)
	e.column += len(ind) // indicators are ASCII
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

// plain reports that n carries nothing this emitter does not write:
// comments, an anchor, or a kind it does not know.
func plainNode(n *yaml.Node) bool {
	return n.Anchor == "" && n.HeadComment == "" && n.LineComment == "" && n.FootComment == ""
}

// collectionTag is the tag yaml.v3 writes for a mapping or sequence
// (short form), "" for none: the tag is left out when it is the kind's
// own, unless the node asks for it (TaggedStyle).
func collectionTag(n *yaml.Node, own string) string {
	t := shortTag(n.Tag)
	if n.Style&yaml.TaggedStyle == 0 && t == own {
		return ""
	}
	return t
}

// writeTag writes tag (short form, "" for none) as libyaml does with
// yaml.v3's default tag directives: "!" and "!!" handles, or the
// verbatim "!<...>" form.
func (e *emitter) writeTag(tag string) {
	if tag == "" {
		return
	}
	if !utf8.ValidString(tag) {
		// libyaml's tag writer never advances past a byte that starts
		// no UTF-8 sequence: yaml.v3 loops forever on such a tag.
		e.fail(whyBadTag)
		return
	}
	if strings.HasPrefix(tag, "!!") {
		tag = "tag:yaml.org,2002:" + tag[2:] // yaml.v3's longTag
	}
	switch {
	case strings.HasPrefix(tag, "!"):
		e.writeTagHandle("!")
		e.writeTagContent(tag[1:])
	case strings.HasPrefix(tag, "tag:yaml.org,2002:"):
		e.writeTagHandle("!!")
		e.writeTagContent(tag[len("tag:yaml.org,2002:"):])
	default:
		e.writeIndicator("!<", true, false, false)
		e.writeTagContent(tag)
		e.writeIndicator(">", false, false, false)
	}
}

func (e *emitter) writeTagHandle(h string) {
	if !e.whitespace {
		e.put(' ')
	}
	e.out = append(e.out, h...)
	e.column += len(h)
	e.whitespace = false
	e.indention = false
}

// writeTagContent writes a tag's suffix, %-escaping the bytes of every
// character that is not a letter, digit or URI punctuation.
func (e *emitter) writeTagContent(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_;/?:@&=+$,.~*'()[]", c) >= 0 {
			i = e.write(s, i)
			continue
		}
		for w := charWidth(c); w > 0 && i < len(s); w-- {
			e.put('%')
			e.put(hexDigits[s[i]>>4])
			e.put(hexDigits[s[i]&0x0F])
			i++
		}
	}
	e.whitespace = false
	e.indention = false
}

// shortTag is yaml.v3's shortTag: the "!!x" spelling of a core schema tag.
func shortTag(tag string) string {
	const long = "tag:yaml.org,2002:"
	if strings.HasPrefix(tag, long) {
		return "!!" + tag[len(long):]
	}
	return tag
}

func (e *emitter) node(n *yaml.Node, p parentState, simpleKey bool) {
	if !e.ok {
		return
	}
	if !plainNode(n) {
		e.fail("a comment, anchor or explicit tag")
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content)%2 != 0 {
			e.fail("a mapping with a key and no value")
			return
		}
		e.writeTag(collectionTag(n, tagMap))
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 || e.flowLevel > 0 {
			e.flowMapping(n, p)
		} else {
			e.blockMapping(n, p)
		}
	case yaml.SequenceNode:
		e.writeTag(collectionTag(n, tagSeq))
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 || e.flowLevel > 0 {
			e.flowSequence(n, p)
		} else {
			e.blockSequence(n, p)
		}
	case yaml.ScalarNode:
		e.scalar(n, p, simpleKey)
	default:
		e.fail("a document, alias or zero node")
	}
}

func (e *emitter) blockMapping(n *yaml.Node, p parentState) {
	old := e.increaseIndent(false, p)
	for i := 0; i+1 < len(n.Content) && e.ok; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !plainNode(k) {
			e.fail("a complex key, a comment or an anchor")
			return
		}
		e.writeIndent()
		e.scalar(k, stOther, true)
		e.writeIndicator(":", false, false, false)
		e.node(v, stOther, false)
	}
	e.indent = old
}

func (e *emitter) flowMapping(n *yaml.Node, p parentState) {
	e.writeIndicator("{", true, true, false)
	old := e.increaseIndent(true, p)
	e.flowLevel++
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !plainNode(k) {
			e.fail("a complex key, a comment or an anchor")
			return
		}
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column == 0 {
			e.writeIndent()
		}
		e.scalar(k, stOther, true)
		e.writeIndicator(":", false, false, false)
		e.node(v, stOther, false)
		if !e.ok {
			return
		}
	}
	e.flowLevel--
	e.indent = old
	e.writeIndicator("}", false, false, false)
}

func (e *emitter) blockSequence(n *yaml.Node, p parentState) {
	old := e.increaseIndent(false, p)
	for _, c := range n.Content {
		e.writeIndent()
		e.writeIndicator("-", true, false, true)
		e.node(c, stBlockSeqItem, false)
		if !e.ok {
			return
		}
	}
	e.indent = old
}

func (e *emitter) flowSequence(n *yaml.Node, p parentState) {
	e.writeIndicator("[", true, true, false)
	old := e.increaseIndent(true, p)
	e.flowLevel++
	for i, c := range n.Content {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column == 0 {
			e.writeIndent()
		}
		e.node(c, stOther, false)
		if !e.ok {
			return
		}
	}
	e.flowLevel--
	e.indent = old
	if e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator("]", false, false, false)
}

// Scalar styles, as the emitter picks them.
const (
	stylePlain = iota
	styleSingle
	styleDouble
	styleLiteral
)

func (e *emitter) scalar(n *yaml.Node, p parentState, simpleKey bool) {
	value := n.Value
	if !utf8.ValidString(value) {
		e.fail("invalid UTF-8")
		return
	}
	// yaml.v3's encoder: a tag that the text resolves to anyway is left
	// out; a string that would resolve to something else is quoted;
	// any other tag would be written.
	forceQuoting := false
	tag := shortTag(n.Tag)
	if tag != "" && n.Style&yaml.TaggedStyle == 0 {
		if tag == tagStr && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			tag = ""
		} else if rtag := resolveV3(value); rtag == tag {
			tag = ""
		} else if tag == tagStr {
			tag = ""
			forceQuoting = true
		}
	}
	style := stylePlain
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		style = styleDouble
	case n.Style&yaml.SingleQuotedStyle != 0:
		style = styleSingle
	case n.Style&yaml.LiteralStyle != 0:
		style = styleLiteral
	case n.Style&yaml.FoldedStyle != 0:
		e.fail("a folded scalar")
		return
	case strings.Contains(value, "\n"):
		style = styleLiteral
	case forceQuoting:
		style = styleDouble
	}

	// libyaml's analysis and choice of style.
	a := analyzeScalar(value)
	if simpleKey && (a.multiline || len(value)+tagLen(tag) > 128) {
		e.fail("a key that is not simple")
		return
	}
	if simpleKey && a.multiline {
		style = styleDouble
	}
	if style == stylePlain {
		if e.flowLevel > 0 && !a.flowPlain || e.flowLevel == 0 && !a.blockPlain {
			style = styleSingle
		}
		if len(value) == 0 && (e.flowLevel > 0 || simpleKey) {
			style = styleSingle
		}
	}
	if style == styleSingle && !a.singleQuoted {
		style = styleDouble
	}
	if style == styleLiteral && (!a.block || e.flowLevel > 0 || simpleKey) {
		style = styleDouble
	}

	e.writeTag(tag)
	old := e.increaseIndent(true, p)
	switch style {
	case stylePlain:
		e.writePlain(value)
	case styleSingle:
		e.writeSingle(value, !simpleKey)
	case styleDouble:
		e.writeDouble(value)
	case styleLiteral:
		e.writeLiteral(value)
	}
	e.indent = old
}

// resolveV3 is the tag yaml.v3 resolves the plain scalar value to. Like
// yaml.v3's resolve, it knows a string from its first character alone
// when that starts none of null, bool, int, float, timestamp or merge.
func resolveV3(value string) string {
	if value != "" && strings.IndexByte("+-0123456789yYnNtTfFoO~.<", value[0]) < 0 {
		return tagStr
	}
	if !hasDigit(value) {
		// Without a digit nothing parses as an int, float or timestamp:
		// only resolve's fixed words are left.
		switch value {
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return tagBool
		case "", "~", "null", "Null", "NULL":
			return tagNull
		}
		if infNaN(value) {
			return tagFloat
		}
		return tagStr
	}
	if strings.IndexByte("yYnNtTfFoO~<", value[0]) >= 0 {
		// yaml.v3 looks these up among its fixed words only, none of
		// which has a digit.
		return tagStr
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: value}).ShortTag()
}

// tagLen is the length libyaml counts for a tag in a simple key: its
// handle and suffix.
func tagLen(tag string) int {
	if strings.HasPrefix(tag, "!!") || strings.HasPrefix(tag, "!") {
		return len(tag)
	}
	return len(tag) // verbatim: no handle, the whole tag is the suffix
}

type scalarAnalysis struct {
	multiline, flowPlain, blockPlain, singleQuoted, block bool
}

// analyzeScalar is libyaml's yaml_emitter_analyze_scalar (unicode output,
// as yaml.v3 sets it).
func analyzeScalar(value string) scalarAnalysis {
	if len(value) == 0 {
		return scalarAnalysis{blockPlain: true, singleQuoted: true}
	}
	var (
		blockIndicators, flowIndicators, lineBreaks, special, tabs bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak   bool
		breakSpace, spaceBreak, previousSpace, previousBreak       bool
	)
	if strings.HasPrefix(value, "---") || strings.HasPrefix(value, "...") {
		blockIndicators, flowIndicators = true, true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(value); i += w {
		c := value[i]
		if i > 0 {
			// What the rest of the loop concludes for a printable
			// ASCII character that is no indicator, for a space and for
			// a line feed.
			switch {
			case ordinary[c]:
				j := i + 1
				for j < len(value) && ordinary[value[j]] {
					j++
				}
				w = j - i
				previousSpace, previousBreak, precededByWhitespace = false, false, false
				continue
			case c == ' ':
				w = 1
				if i+1 == len(value) {
					trailingSpace = true
				}
				if previousBreak {
					breakSpace = true
				}
				previousSpace, previousBreak, precededByWhitespace = true, false, true
				continue
			case c == '\n':
				w = 1
				lineBreaks = true
				if i+1 == len(value) {
					trailingBreak = true
				}
				if previousSpace {
					spaceBreak = true
				}
				previousSpace, previousBreak, precededByWhitespace = false, true, true
				continue
			}
		}
		w = charWidth(c)
		followedByWhitespace := i+w >= len(value) || value[i+w] == ' ' || value[i+w] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowIndicators, blockIndicators = true, true
			case '?', ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '-':
				if followedByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowIndicators = true
			case ':':
				flowIndicators = true
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					flowIndicators, blockIndicators = true, true
				}
			}
		}
		if c == '\t' {
			tabs = true
		} else if !isPrintable(value, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(value) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case isBreak(value, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(value) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\t' || isBreak(value, i)
	}
	a := scalarAnalysis{multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.block = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.singleQuoted = false, false, false
	}
	if spaceBreak || tabs || special {
		a.flowPlain, a.blockPlain, a.singleQuoted = false, false, false
	}
	if spaceBreak || special {
		a.block = false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowIndicators {
		a.flowPlain = false
	}
	if blockIndicators {
		a.blockPlain = false
	}
	return a
}

// ordinary marks the printable ASCII characters (space excluded) that are
// no flow or block indicator after the first character of a scalar.
var ordinary = func() (t [256]bool) {
	for c := 0x21; c <= 0x7E; c++ {
		t[c] = strings.IndexByte(",?[]{}:#", byte(c)) < 0
	}
	return t
}()

// charWidth is the length of the UTF-8 sequence that starts with b.
func charWidth(b byte) int {
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

// isPrintable is libyaml's is_printable on valid UTF-8.
func isPrintable(b string, i int) bool {
	c := b[i]
	return c == 0x0A || c >= 0x20 && c <= 0x7E ||
		c == 0xC2 && b[i+1] >= 0xA0 ||
		c > 0xC2 && c < 0xED ||
		c == 0xED && b[i+1] < 0xA0 ||
		c == 0xEE ||
		c == 0xEF && !(b[i+1] == 0xBB && b[i+2] == 0xBF) && !(b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF))
}

// isBreak is libyaml's is_break: LF, CR, NEL, LS or PS.
func isBreak(b string, i int) bool {
	c := b[i]
	return c == '\r' || c == '\n' ||
		c == 0xC2 && b[i+1] == 0x85 ||
		c == 0xE2 && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9)
}

func (e *emitter) writePlain(value string) {
	if len(value) > 0 && !e.whitespace {
		e.put(' ')
	}
	// The analysis allows plain style only for text without line breaks,
	// and yaml.v3 sets no width: the text is written as it is.
	e.out = append(e.out, value...)
	e.column += utf8.RuneCountInString(value)
	if len(value) > 0 {
		e.whitespace = false
	}
	e.indention = false
}

func (e *emitter) writeSingle(value string, allowBreaks bool) {
	_ = allowBreaks // only folds at the line width, which yaml.v3 leaves unlimited
	e.writeIndicator("'", true, false, false)
	breaks := false
	for i := 0; i < len(value); {
		switch {
		case value[i] == ' ':
			i = e.write(value, i)
		case isBreak(value, i):
			if !breaks && value[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(value, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if value[i] == '\'' {
				e.put('\'')
			}
			i = e.write(value, i)
			e.indention = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

const hexDigits = "0123456789ABCDEF"

func (e *emitter) writeDouble(value string) {
	e.writeIndicator(`"`, true, false, false)
	bom := strings.HasPrefix(value, "\uFEFF") // libyaml's is_bom looks at the start of the value
	for i := 0; i < len(value); {
		c := value[i]
		if !isPrintable(value, i) || bom || isBreak(value, i) || c == '"' || c == '\\' {
			r, w := utf8.DecodeRuneInString(value[i:])
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0A:
				e.put('n')
			case 0x0B:
				e.put('v')
			case 0x0C:
				e.put('f')
			case 0x0D:
				e.put('r')
			case 0x1B:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5C:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xA0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				digits := 8
				switch {
				case r <= 0xFF:
					e.put('x')
					digits = 2
				case r <= 0xFFFF:
					e.put('u')
					digits = 4
				default:
					e.put('U')
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					e.put(hexDigits[(r>>uint(k))&0x0F])
				}
			}
			continue
		}
		i = e.write(value, i)
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) writeLiteral(value string) {
	e.writeIndicator("|", true, false, false)
	// The block scalar hints: an indentation indicator when the text
	// starts with a space or a break, and the chomping indicator.
	if value[0] == ' ' || isBreak(value, 0) {
		e.writeIndicator(string(rune('0'+emIndent)), false, false, false)
	}
	i := len(value) - 1
	for value[i]&0xC0 == 0x80 {
		i--
	}
	switch {
	case !isBreak(value, i):
		e.writeIndicator("-", false, false, false)
	case i == 0:
		e.writeIndicator("+", false, false, false)
	default:
		i--
		for value[i]&0xC0 == 0x80 {
			i--
		}
		if isBreak(value, i) {
			e.writeIndicator("+", false, false, false)
		}
	}
	e.whitespace = true
	breaks := true
	for i := 0; i < len(value); {
		if isBreak(value, i) {
			i = e.writeBreak(value, i)
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		// The rest of the line, as write does it character by character.
		j, n := i, 0
		for j < len(value) {
			c := value[j]
			if c < utf8.RuneSelf {
				if c == '\n' || c == '\r' {
					break
				}
				j++
				n++
				continue
			}
			if isBreak(value, j) {
				break
			}
			j += charWidth(c)
			n++
		}
		e.out = append(e.out, value[i:j]...)
		e.column += n
		i = j
		e.indention = false
		breaks = false
	}
}
