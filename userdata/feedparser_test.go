package userdata

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// naiveLineEnds splits as io.StringIO(s, newline="").readlines does, one
// byte at a time.
func naiveLineEnds(s string) []int {
	var ends []int
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\n':
			ends = append(ends, i+1)
		case s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n':
			ends = append(ends, i+2)
			i++
		case s[i] == '\r':
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 && len(s) > 0 || len(ends) > 0 && ends[len(ends)-1] != len(s) {
		ends = append(ends, len(s))
	}
	return ends
}

// lineEnds reads every line of s through a lineSource.
func lineEnds(s string) []int {
	r := newLineSource(s)
	var ends []int
	for i := r.readline(); i >= 0; i = r.readline() {
		ends = append(ends, r.end(i))
	}
	return ends
}

// TestLineEnds checks the line splitting of lineSource against a
// byte-by-byte reference.
func TestLineEnds(t *testing.T) {
	tests := map[string]string{
		"empty": "", "no newline": "abc", "lf": "a\nb\n", "crlf": "a\r\nb\r\n", "bare cr": "a\rb\r",
		"cr at end": "abcdefghij\r", "mixed": "a\r\n\rb\n\r\n", "long lines": "0123456789abcdef\r\n0123456789\n",
		"vt next to lf": "\n\x0b\x0b\n\x0c\x0c\r\n\x0e", "cr after 8": "01234567\r", "crlf across words": "0123456\r\n",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			if got, want := lineEnds(s), naiveLineEnds(s); !slices.Equal(got, want) {
				t.Errorf("lineEnds(%q) = %v, want %v", s, got, want)
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		alphabet := []byte("\r\n\x0b\x0c\x0e\x8dab")
		for n := 0; n < 5000; n++ {
			b := make([]byte, rng.Intn(40))
			for i := range b {
				b[i] = alphabet[rng.Intn(len(alphabet))]
			}
			s := string(b)
			if got, want := lineEnds(s), naiveLineEnds(s); !slices.Equal(got, want) {
				t.Fatalf("lineEnds(%q) = %v, want %v", s, got, want)
			}
		}
	})
}

func TestPyStripFastPath(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	pieces := []string{" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\u0085", "\u00a0", "\u2003", "\u3000", "a", "é", "\x80", "\x00"}
	for n := 0; n < 5000; n++ {
		var s string
		for k := rng.Intn(8); k > 0; k-- {
			s += pieces[rng.Intn(len(pieces))]
		}
		if got, want := pyStrip(s), strings.TrimFunc(s, pyIsSpace); got != want {
			t.Fatalf("pyStrip(%q) = %q, want %q", s, got, want)
		}
		if got, want := pyRStrip(s), strings.TrimRightFunc(s, pyIsSpace); got != want {
			t.Fatalf("pyRStrip(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestReadRestScan checks that finding the end of a part by scanning for
// the next delimiter gives the same messages as reading line by line, on
// random documents made of boundary-like pieces.
func TestReadRestScan(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	pieces := []string{"--B", "--B--", "--C", "--C--", "--", "-", "\n", "\r\n", "\r", "x", " ", "\t",
		"Content-Type: multipart/mixed; boundary=C\n", "Content-Type: text/plain\n", "X: y\n", "\n\n"}
	head := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
	dump := func(m *message) string {
		var b strings.Builder
		var walk func(m *message, depth int)
		walk = func(m *message, depth int) {
			fmt.Fprintf(&b, "%d %q %v %q\n", depth, m.headers, m.multi, m.payload)
			for _, sub := range m.parts {
				walk(sub, depth+1)
			}
		}
		walk(m, 0)
		return b.String()
	}
	defer func() { readRestScan = true }()
	for n := 0; n < 3000; n++ {
		s := head
		for k := rng.Intn(30); k > 0; k-- {
			s += pieces[rng.Intn(len(pieces))]
		}
		readRestScan = true
		fast, errFast := parseMessage(s, Limits{}.withDefaults())
		readRestScan = false
		slow, errSlow := parseMessage(s, Limits{}.withDefaults())
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%q: errors differ: %v / %v", s, errFast, errSlow)
		}
		if errFast == nil && dump(fast) != dump(slow) {
			t.Fatalf("%q:\nscan:\n%s\nline by line:\n%s", s, dump(fast), dump(slow))
		}
	}
}
