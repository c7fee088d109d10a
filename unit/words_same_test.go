package unit

import (
	"fmt"
	"reflect"
	"testing"
)

var wordCases = []string{
	"", ";", "a", "/bin/true", "/usr/bin/curl --max-time 5 https://x/y?a=b&c=d", `a\`, `a\\b`, `"a b"`, `'a'`, "a%b", "a%%b", "a$b", "a$$b",
	"%", "$", "a b\tc", "  lead", "trail  ", "é", "\x7f", "a\x01b", "a\nb", `\x41`, `"unterminated`, "${HOME}", "-@/bin/x", "a;b", "x=y,z",
}

func sameWords(t *testing.T, s string) {
	t.Helper()
	gw, gerr := splitWords(s)
	ww, werr := splitWordsReference(s)
	if !reflect.DeepEqual(gw, ww) || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("splitWords(%q) = %q, %v; the reference %q, %v", s, gw, gerr, ww, werr)
	}
	for _, expand := range []bool{false, true} {
		g, gerr := quoteWord(s, expand)
		w, werr := quoteWordReference(s, expand)
		if g != w || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("quoteWord(%q, %v) = %q, %v; the reference %q, %v", s, expand, g, gerr, w, werr)
		}
	}
}

// TestWordsSameAsReference: splitWords and quoteWord give what they gave
// before their fast paths, on every byte alone and in a word, and on the
// cases above.
func TestWordsSameAsReference(t *testing.T) {
	for _, s := range wordCases {
		sameWords(t, s)
	}
	for c := 0; c < 256; c++ {
		for _, f := range []string{"%c", "a%c", "%cb", "a%cb", "a %c b"} {
			sameWords(t, fmt.Sprintf(f, c))
		}
		b := string([]byte{byte(c)})
		sameWords(t, b)
		sameWords(t, "a"+b+"b")
	}
}

// FuzzWordsSameAsReference: the same on any input.
func FuzzWordsSameAsReference(f *testing.F) {
	for _, s := range wordCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameWords(t, s)
	})
}
