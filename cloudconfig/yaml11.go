package cloudconfig

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// cloud-init reads cloud-config with PyYAML's safe loader, which follows
// YAML 1.1: plain "yes", "on", "0644" or "2024-01-02" are not strings there.
// yaml.v3 resolves plain scalars by YAML 1.2 rules, so the parser re-resolves
// every plain scalar the way PyYAML does, and the renderer quotes every
// string that either reader would take for something else.

// Tags as yaml.v3 spells them in Node.Tag.
const (
	tagStr       = "!!str"
	tagBool      = "!!bool"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagNull      = "!!null"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
	tagValue     = "!!value"
	tagBinary    = "!!binary"
	tagSeq       = "!!seq"
	tagMap       = "!!map"
)

// The implicit resolvers of PyYAML's yaml.resolver.Resolver (YAML 1.1).
var (
	reBool11  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reFloat11 = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reInt11   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reNull11  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reTime11  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
	// YAML 1.2 core schema numbers, and the 1.1 y/n booleans, which some
	// readers other than PyYAML honour: quoted too, to be safe everywhere.
	reNum12 = regexp.MustCompile(`^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYN    = regexp.MustCompile(`^(?:y|Y|n|N)$`)
)

// resolve11 returns the tag PyYAML's safe loader gives the plain scalar s.
func resolve11(s string) string {
	// PyYAML tries a resolver only when the scalar starts with one of its
	// first characters: most strings need no regexp at all.
	if s != "" && !strings.ContainsRune("yYnNtTfFoO-+0123456789.~<=", rune(s[0])) {
		return tagStr
	}
	if !hasDigit(s) {
		// Every int, timestamp and float but .inf and .nan has a digit:
		// what is left are fixed words (resolve11Regexp says the same).
		switch s {
		case "", "~", "null", "Null", "NULL":
			return tagNull
		case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF":
			return tagBool
		case "<<":
			return tagMerge
		case "=":
			return tagValue
		}
		if infNaN(s) {
			return tagFloat
		}
		return tagStr
	}
	if !numberLike(s) {
		return tagStr
	}
	if intDigits11(s) {
		return tagInt
	}
	return resolve11Regexp(s)
}

// intDigits11 reports whether s is all ASCII digits and an int by
// reInt11 without the regular expression: "0", a decimal not starting
// with 0, or 0 followed by octal digits (TestMatchersSameAsRegexp holds
// it to resolve11Regexp). Other digit strings ("09") are left to the
// regular expressions.
func intDigits11(s string) bool {
	if s == "" {
		return false
	}
	octal := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		if c > '7' {
			octal = false
		}
	}
	return s[0] != '0' || len(s) == 1 || octal
}

// numberChars are the characters of YAML 1.1 ints, floats (.inf and .nan
// included) and timestamps and of YAML 1.2 numbers: the union of the
// character classes of reInt11, reFloat11, reTime11 and reNum12.
var numberChars = func() (t [256]bool) {
	for _, c := range []byte("0123456789-+_:. \tabcdefABCDEFxotTZinIN") {
		t[c] = true
	}
	return t
}()

// numberLike reports whether every character of s is in numberChars:
// otherwise none of those expressions can match s.
func numberLike(s string) bool {
	for i := 0; i < len(s); i++ {
		if !numberChars[s[i]] {
			return false
		}
	}
	return true
}

// hasDigit reports whether s holds an ASCII digit.
func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// infNaN reports whether s is one of YAML's spellings of infinity or NaN
// (the floats without a digit), as both reFloat11 and reNum12 have them.
func infNaN(s string) bool {
	switch s {
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return true
	}
	return false
}

// resolve11Regexp is resolve11 by PyYAML's regular expressions alone.
func resolve11Regexp(s string) string {
	if s != "" && !strings.ContainsRune("yYnNtTfFoO-+0123456789.~<=", rune(s[0])) {
		return tagStr
	}
	switch {
	case reNull11.MatchString(s):
		return tagNull
	case reBool11.MatchString(s):
		return tagBool
	case reInt11.MatchString(s):
		return tagInt
	case reFloat11.MatchString(s):
		return tagFloat
	case reTime11.MatchString(s):
		return tagTimestamp
	case s == "<<":
		return tagMerge
	case s == "=":
		return tagValue
	}
	return tagStr
}

// effectiveTag returns the tag cloud-init's loader gives a scalar node: the
// explicit tag if there is one, str for quoted and block scalars, and the
// YAML 1.1 resolution of the text for plain ones.
func effectiveTag(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Style&yaml.TaggedStyle != 0 {
		return longToShort(n.Tag)
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return tagStr
	}
	return resolve11(n.Value)
}

func longToShort(tag string) string {
	if strings.HasPrefix(tag, "tag:yaml.org,2002:") {
		return "!!" + strings.TrimPrefix(tag, "tag:yaml.org,2002:")
	}
	return tag
}

// safeTags are the tags PyYAML's SafeLoader can construct; any other tag
// makes yaml.safe_load fail and cloud-init drop the whole document.
var safeTags = map[string]bool{
	tagStr: true, tagBool: true, tagInt: true, tagFloat: true, tagNull: true,
	tagTimestamp: true, tagBinary: true, tagSeq: true, tagMap: true,
	"!!omap": true, "!!pairs": true, "!!set": true, tagMerge: true, tagValue: true,
}

// num12 is reNum12.MatchString(s): a YAML 1.2 number. Every one but
// .inf and .nan has a digit.
func num12(s string) bool {
	if !hasDigit(s) {
		return infNaN(s)
	}
	if allDigits(s) {
		return true // [0-9]+ in reNum12
	}
	return numberLike(s) && reNum12.MatchString(s)
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// plainIsString reports whether s, written as a plain scalar, reads back
// as the same string in both YAML 1.1 (PyYAML) and YAML 1.2 readers, and is
// simple enough to need no quoting anywhere. inFlow is true inside a flow
// sequence or mapping, where ",[]{}" end a plain scalar.
func plainIsString(s string, inFlow bool) bool {
	if s == "" || resolve11(s) != tagStr || len(s) == 1 && reYN.MatchString(s) || strings.ContainsRune("-+.0123456789", rune(s[0])) && num12(s) {
		return false
	}
	if s[0] == '-' && (len(s) == 1 || s[1] == ' ' || s[1] == '\t') {
		return false
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\t':
		// An indicator at the start (":x" and "?x" are plain-safe in
		// YAML 1.2 but not for every reader). "--now" stays plain.
		return false
	}
	last := s[len(s)-1]
	if last == ' ' || last == '\t' || last == ':' {
		return false
	}
	if inFlow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	// One pass for ": ", ":\t", " #" and "\t#" (a mapping value or a
	// comment), tabs and what is not printable.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(s[i:])
			if r == '\uFEFF' || !unicode.IsPrint(r) {
				return false
			}
			i += w - 1
			continue
		}
		if c < 0x20 || c == 0x7F {
			return false // a tab or another control character
		}
		if i+1 < len(s) {
			next := s[i+1]
			if c == ':' && (next == ' ' || next == '\t') || c == ' ' && next == '#' {
				return false
			}
		}
	}
	return true
}

// printable reports whether s can be written in a single-quoted scalar:
// valid UTF-8 without control characters (tab included), line breaks or a
// BOM.
func printable(s string) bool {
	return printableTab(s, false)
}

// printableTab is printable, with tabs allowed when tab is true: a literal
// block scalar holds tabs verbatim, a single-quoted one does not (the
// emitter double-quotes any text with a tab outside a block scalar).
func printableTab(s string, tab bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		// Printable ASCII, the common case, without decoding runes.
		if c := s[i]; c >= 0x20 && c < 0x7F || c == '\t' && tab {
			continue
		} else if c < utf8.RuneSelf {
			return false
		}
		return printableRunes(s[i:], tab)
	}
	return true
}

func printableRunes(s string, tab bool) bool {
	for _, r := range s {
		if r == '\t' && tab {
			continue
		}
		if r == '\uFEFF' || (!unicode.IsPrint(r) && r != ' ') {
			return false
		}
	}
	return true
}

// strNode returns a scalar node for the string s, styled so that every YAML
// reader reads s back: plain when that is unambiguous, a literal block
// scalar for multi-line text, single quotes when the text is printable, and
// double quotes with escapes otherwise.
func strNode(s string, inFlow bool) *yaml.Node {
	n := new(yaml.Node)
	setStrNode(n, s, inFlow)
	return n
}

// setStrNode makes the zero node n the scalar strNode returns.
func setStrNode(n *yaml.Node, s string, inFlow bool) {
	n.Kind, n.Tag, n.Value = yaml.ScalarNode, tagStr, s
	switch {
	case !inFlow && strings.Contains(s, "\n") && literalOK(s):
		n.Style = yaml.LiteralStyle
	case plainIsString(s, inFlow):
		// plain
	case printable(s):
		n.Style = yaml.SingleQuotedStyle
	default:
		n.Style = yaml.DoubleQuotedStyle
	}
}

// literalOK reports whether s can be a literal block scalar that both
// PyYAML (cloud-init's reader) and yaml.v3 (Parse) read back exactly:
//
//   - printable lines, tabs allowed anywhere but at the very start of s;
//   - no space before a line break or at the end (the emitter refuses
//     those and falls back to quotes); a trailing tab is kept as content
//     by both readers, so it is fine;
//   - no CR, and s neither starts with a line break nor is only breaks.
//
// A tab at the start of the first line is the one case PyYAML reads back
// but yaml.v3 does not: the emitter writes no indentation indicator for it
// (it does for a leading space), and while yaml.v3's scanner is still
// detecting the block's indentation it rejects a tab ("found a tab
// character where an indentation space is expected"). Such text is double
// quoted. A tab at the start of any later line, once the indentation is
// known, is content to both readers.
func literalOK(s string) bool {
	if s == "" || s[0] == '\n' || s[0] == '\t' || strings.TrimLeft(s, "\n") == "" {
		// Leading breaks or only breaks read back fine, but libyaml's
		// emitter falls back to quotes for them; keep it predictable.
		return false
	}
	for rest := s; ; {
		line, r, more := strings.Cut(rest, "\n")
		if !printableTab(line, true) || strings.HasSuffix(line, " ") {
			return false
		}
		if !more {
			return true
		}
		rest = r
	}
}
