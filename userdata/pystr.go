package userdata

// This file mirrors the few Python string semantics cloud-init's parser
// depends on: str.lower, str.isspace/strip, 'surrogateescape' decoding and
// the 'raw-unicode-escape' codec.

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyIsSpace is Python's str.isspace for one code point.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isASCIISpace is pyIsSpace for a byte below 0x80.
func isASCIISpace(c byte) bool { return (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= ' ') }

// pyStrip is Python's str.strip() on a valid UTF-8 string.
func pyStrip(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	if len(s) > 0 && s[0] >= 0x80 {
		s = strings.TrimLeftFunc(s, pyIsSpace)
	}
	return pyRStrip(s)
}

// pyRStrip is Python's str.rstrip().
func pyRStrip(s string) string {
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = strings.TrimRightFunc(s, pyIsSpace)
	}
	return s
}

// pyLower is Python's str.lower(): the full lower-case mapping, which
// differs from Go's simple mapping for U+0130 (İ becomes "i̇", two code
// points, where Go gives a plain "i"). Invalid UTF-8 bytes are kept.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteByte(s[i])
		case r == 0x130:
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		i += n
	}
	return b.String()
}

// inclusionPrefixes maps the first bytes of a payload to the content type
// cloud-init gives it (cloudinit.handlers.INCLUSION_TYPES_MAP), longest
// first as cloud-init searches them.
var inclusionPrefixes = []struct{ prefix, ctype string }{
	{"text/x-shellscript-per-instance", ContentShellScriptPerInst},
	{"text/x-shellscript-per-boot", ContentShellScriptPerBoot},
	{"text/x-shellscript-per-once", ContentShellScriptPerOnce},
	{"#cloud-config-archive", ContentCloudConfigArchive},
	{"#cloud-config-jsonp", ContentCloudConfigJSONP},
	{"## template: jinja", ContentJinja2},
	{"#cloud-boothook", ContentBoothook},
	{"#cloud-config", ContentCloudConfig},
	{"#include-once", ContentIncludeOnceURL},
	{"#part-handler", ContentPartHandler},
	{"#include", ContentIncludeURL},
	{"#!", ContentShellScript},
}

// typeFromStartsWith is cloud-init's handlers.type_from_starts_with on a
// text payload: lower-case it, strip leading white space, and match the
// known first-line prefixes. It returns "" when none matches. Bytes that
// are not UTF-8 stand for Python's lone surrogates: neither space nor a
// prefix character.
func typeFromStartsWith(b []byte) string {
	// Only a short head matters: the longest prefix is 31 bytes, and
	// leading white space is skipped first.
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && n == 1) || !pyIsSpace(r) {
			break
		}
		i += n
	}
	head := b[i:]
	if len(head) > 64 {
		head = head[:64]
	}
	if asciiPrefix := isASCIIBytes(head); asciiPrefix {
		// The common case, without allocating.
		for _, p := range inclusionPrefixes {
			if len(head) >= len(p.prefix) && asciiEqualFold(head[:len(p.prefix)], p.prefix) {
				return p.ctype
			}
		}
		return ""
	}
	low := pyLower(string(head))
	for _, p := range inclusionPrefixes {
		if strings.HasPrefix(low, p.prefix) {
			return p.ctype
		}
	}
	return ""
}

// rawUnicodeEscape is Python's str.encode('raw-unicode-escape') of the
// UTF-8 string s: code points below 256 become one byte, others \uXXXX or
// \UXXXXXXXX. cloud-init's parser hands 7bit/8bit parts' non-ASCII text to
// handlers in this form.
func rawUnicodeEscape(s []byte) []byte {
	if isASCIIBytes(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		i += n
		switch {
		case r < 0x100:
			out = append(out, byte(r))
		case r < 0x10000:
			out = append(out, `\u`...)
			out = appendHex(out, uint32(r), 4)
		default:
			out = append(out, `\U`...)
			out = appendHex(out, uint32(r), 8)
		}
	}
	return out
}

func appendHex(dst []byte, v uint32, digits int) []byte {
	s := strconv.FormatUint(uint64(v), 16)
	for i := len(s); i < digits; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// isASCIIBytes reports whether b is all ASCII, eight bytes at a time.
func isASCIIBytes(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// asciiEqualFold compares ASCII b with the lower-case ASCII prefix p.
func asciiEqualFold(b []byte, p string) bool {
	for i := 0; i < len(p); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}
