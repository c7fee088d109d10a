package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/udkit/udkit/diag"
)

// Everything udkit prints for people can hold text from the documents it
// reads (part bodies, YAML keys and values, write_files paths, header
// values, file names), that is from whoever wrote them. It goes through
// diag.Escape, so that no escape sequence (cursor movement, OSC 8 links,
// title changes), carriage return, bidi override or invalid UTF-8 reaches
// the terminal: each is shown as a Go escape (\x1b, \r, \u202e, \xff).
// A finding, a diff line or an error is one line: a line break inside it
// is escaped too, so that a hostile value cannot forge another line.

// esc is diag.Escape, for one line of output or one field of it.
func esc(s string) string { return diag.Escape(s) }

// printLine writes the formatted text as one escaped line.
func printLine(w io.Writer, format string, args ...any) {
	io.WriteString(w, esc(fmt.Sprintf(format, args...))+"\n")
}

// printLines writes the formatted text, whose line breaks are its own
// (an error listing several problems, one per line), escaping each line.
func printLines(w io.Writer, format string, args ...any) {
	var b strings.Builder
	for _, l := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		b.WriteString(esc(l))
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// jsonSafe rewrites, inside JSON text, every rune that diag.Escape would
// escape (encoding/json leaves DEL, C1 controls, bidi and other format
// characters as they are) as a \uXXXX escape: the same JSON value, and
// nothing a terminal acts on when a person reads it.
func jsonSafe(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf && (c >= 0x20 && c != 0x7f || c == '\n') {
			out.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if c >= utf8.RuneSelf && r != utf8.RuneError && diag.Escape(string(r)) == string(r) {
			out.Write(b[i : i+n])
		} else if r > 0xffff {
			r1, r2 := utf16Surrogates(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		i += n
	}
	return out.Bytes()
}

func utf16Surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
