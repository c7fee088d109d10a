package userdata

import (
	"bytes"
	"math/rand"
	"testing"
)

// naiveSevenBitClean is the 7bit rule byte by byte: printable ASCII and
// tabs, lines of at most 998 bytes.
func naiveSevenBitClean(b []byte) bool {
	line := 0
	for _, c := range b {
		if c == '\n' {
			line = 0
			continue
		}
		if !(c == '\t' || (c >= ' ' && c < 0x7f)) {
			return false
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

func TestSevenBitClean(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 998)
	tests := map[string][]byte{
		"empty": nil, "text": []byte("#!/bin/sh\necho hi\n"), "tab": []byte("a\tb"),
		"cr": []byte("a\r\nb"), "del": []byte("abcdefgh\x7f"), "high": []byte("abcdefgh\xc3\xa9"),
		"nul": []byte("abcdefghij\x00"), "line 998": long, "line 999": append(bytes.Clone(long), 'x'),
		"two lines of 998": append(append(bytes.Clone(long), '\n'), long...),
	}
	for name, b := range tests {
		if got, want := sevenBitClean(b), naiveSevenBitClean(b); got != want {
			t.Errorf("%s: sevenBitClean = %v, want %v", name, got, want)
		}
	}
	rng := rand.New(rand.NewSource(4))
	alphabet := []byte("ab \t\n\r\x7f\x80\xff\x1f\x00~")
	for n := 0; n < 5000; n++ {
		b := make([]byte, rng.Intn(1100))
		for i := range b {
			if rng.Intn(50) == 0 {
				b[i] = alphabet[rng.Intn(len(alphabet))]
			} else {
				b[i] = 'a' + byte(rng.Intn(26))
			}
		}
		if got, want := sevenBitClean(b), naiveSevenBitClean(b); got != want {
			t.Fatalf("sevenBitClean(%q) = %v, want %v", b, got, want)
		}
	}
}
