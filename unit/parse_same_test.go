package unit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// sameAsReference fails t unless Parse, ParseBytes and the reference
// parser give the same unit (lines and nil slices included) or the same
// error for in.
func sameAsReference(t *testing.T, in []byte) {
	t.Helper()
	want, werr := parseReference(bytes.NewReader(in))
	for name, parse := range map[string]func() (*Unit, error){
		"Parse":            func() (*Unit, error) { return Parse(bytes.NewReader(in)) },
		"Parse(no Len)":    func() (*Unit, error) { return Parse(iotest.OneByteReader(bytes.NewReader(in))) },
		"Parse(half read)": func() (*Unit, error) { return Parse(iotest.HalfReader(bytes.NewReader(in))) },
		"ParseBytes":       func() (*Unit, error) { return ParseBytes(in) },
	} {
		got, err := parse()
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%s: error %v, the reference %v\ninput %q", name, err, werr, in)
		}
		var pe, wpe *ParseError
		if errors.As(err, &pe) != errors.As(werr, &wpe) || pe != nil && *pe != *wpe {
			t.Fatalf("%s: error %#v, the reference %#v\ninput %q", name, pe, wpe, in)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: unit %#v, the reference %#v\ninput %q", name, got, want, in)
		}
	}
}

// parseEdgeCases are inputs at the edges of the line splitting: line
// endings, the byte-order mark, continuations, comments, the line and
// size limits, bad bytes.
func parseEdgeCases() []string {
	long := func(n int) string { return "[S]\nK=" + strings.Repeat("v", n-2) + "\n" }
	return []string{
		"", "\n", "\r\n", "\n\n\n", "[A]", "[A]\n", "[A]\r\nK=v\r\n", "\xef\xbb\xbf[A]\nK=v\n", "[A]\n\xef\xbb\xbfK=v\n",
		"[A]\nK=v \\\n  w\n", "[A]\nK=v\\\n# comment\n; other\nw\n", "[A]\nK=v\\", "[A]\nK=v\\\n", "[A]\nK=a\\\\\n", "[A]\nK=v\\\n\\\n\\\n",
		"K=v\n", "[A]\nnokey\n", "[A\n", "[]\n", "[A]\n=v\n", "[A]\nK K=v\n", "[A]\n  K\t=\tv  \n[B]\n[A]\nK=w\n",
		"[A]\nK=v\x00\n", "[A]\nK=v\rw\n", "[A]\nK=\xff\n", "[A]\nK=\x7f\n", "[A]\nK=é\tü\n", "[A]\nK=v\n\x01",
		long(MaxLineLen - 1), long(MaxLineLen), long(MaxLineLen + 1), long(MaxLineLen + 2), long(MaxLineLen + 3),
		"[A]\nK=" + strings.Repeat("v", 1500) + "\\\n" + strings.Repeat("w", 1500) + "\n",
		"[A]\n" + strings.Repeat("K=v\n", MaxSize/4), "[A]\n" + strings.Repeat("K=v\n", MaxSize/4+1), "[A]\n" + strings.Repeat("# c\n", MaxSize/4-1) + "K=v\n",
	}
}

// TestParseSameAsReference holds Parse to the reference parser on the
// golden units, the lint cases, the timers and the edge cases.
func TestParseSameAsReference(t *testing.T) {
	var ins [][]byte
	files, _ := filepath.Glob("testdata/*/*")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			ins = append(ins, b)
		}
	}
	for _, c := range lintCases {
		ins = append(ins, []byte(c.bad))
	}
	for _, c := range parseEdgeCases() {
		ins = append(ins, []byte(c))
	}
	if len(ins) < 40 {
		t.Fatalf("only %d inputs", len(ins))
	}
	for _, in := range ins {
		sameAsReference(t, in)
	}
}

// TestParseReadError: lines before a read error are parsed (their errors
// come first), then the read error, as the reference does.
func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, in := range []string{"[A]\nK=v\n", "[A]\nK=v\nbad\n", "[A]\nK=v\\\n", "[A]\nK=v\nL=w", "bad\n[A]\n"} {
		_, werr := parseReference(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)))
		_, err := Parse(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)))
		if err == nil || werr == nil || err.Error() != werr.Error() {
			t.Errorf("%q: error %v, the reference %v", in, err, werr)
		}
	}
}

// FuzzParseSameAsReference: Parse and ParseBytes agree with the reference
// parser on every input.
func FuzzParseSameAsReference(f *testing.F) {
	addGoldenSeeds(f)
	for _, c := range parseEdgeCases() {
		if len(c) < 4096 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sameAsReference(t, in)
	})
}
