package unit

// The word splitting and quoting as they were before their fast paths
// for plain words: the references TestWordsSameAsReference and
// FuzzWordsSameAsReference hold splitWords and quoteWord to.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

func quoteWordReference(w string, expand bool) (string, error) {
	if !utf8.ValidString(w) {
		return "", fmt.Errorf("%q is not valid UTF-8", w)
	}
	// A word ending in a backslash is quoted too, so that the value never
	// ends in one: parsers less careful than systemd's (go-systemd's, for
	// one) take any trailing backslash for a continuation.
	needQuote := w == "" || w == ";" || strings.ContainsAny(w, " \"'") || strings.HasSuffix(w, `\`)
	var b strings.Builder
	if needQuote {
		b.WriteByte('"')
	}
	for _, r := range w {
		switch {
		case r == 0:
			return "", fmt.Errorf("%q contains a NUL byte, which no argument can hold", w)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && !expand:
			b.WriteString("$$")
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	if needQuote {
		b.WriteByte('"')
	}
	return b.String(), nil
}

func splitWordsReference(s string) ([]word, error) {
	var words []word
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		start := i
		var b strings.Builder
		var quote byte
		for i < len(s) {
			c := s[i]
			if quote == 0 && (c == ' ' || c == '\t') {
				break
			}
			switch {
			case c == '\\':
				n, adv, err := cunescape(s[i:])
				if err != nil {
					return nil, err
				}
				b.WriteString(n)
				i += adv
				continue
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			case c == '%' && i+1 < len(s) && s[i+1] == '%':
				b.WriteByte('%')
				i++
			case c == '$' && i+1 < len(s) && s[i+1] == '$':
				b.WriteByte('$')
				i++
			default:
				b.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return nil, fmt.Errorf("unterminated %c quote", quote)
		}
		words = append(words, word{raw: s[start:i], text: b.String()})
	}
}
