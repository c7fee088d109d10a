package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/userdata"
)

func TestLCSDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b string // words separated by spaces
		want string // ops, space separated: " x", "-x", "+x"
	}{
		{"same", "a b c", "a b c", "_a _b _c"},
		{"insert", "a c", "a b c", "_a +b _c"},
		{"delete", "a b c", "a c", "_a -b _c"},
		{"replace", "a b c", "a x c", "_a -b +x _c"},
		{"all new", "a", "b", "-a +b"},
		{"empty a", "", "a", "+a"},
		{"empty b", "a", "", "-a"},
		{"move", "a b c", "c a b", "+c _a _b -c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, op := range lcsDiff(strings.Fields(tt.a), strings.Fields(tt.b)) {
				got = append(got, strings.Replace(op.sign, " ", "_", 1)+op.text)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// Huge inputs are compared without the quadratic table.
func TestLCSDiffBounded(t *testing.T) {
	a := make([]string, 5000)
	b := make([]string, 5000)
	for i := range a {
		a[i] = "a" + string(rune('0'+i%10))
		b[i] = "b" + string(rune('0'+i%10))
	}
	ops := lcsDiff(a, b)
	if len(ops) != 10000 {
		t.Fatalf("%d ops, want every line removed and added", len(ops))
	}
}

// FuzzDiff compares arbitrary documents with the example's user data and
// with themselves: no panic, and a document is always the same as itself.
func FuzzDiff(f *testing.F) {
	for _, pattern := range []string{"../../examples/managed-server/testdata/*.golden", "../../testdata/render/*.golden"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	golden, err := os.ReadFile("../../examples/managed-server/testdata/user-data.golden")
	if err != nil {
		f.Fatal(err)
	}
	ref, err := userdata.Decode(golden, userdata.Limits{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := userdata.Decode(data, userdata.Limits{})
		if err != nil {
			return
		}
		var out bytes.Buffer
		compareDocs(&out, "a", "ref", d, ref)
		out.Reset()
		if !compareDocs(&out, "a", "a", d, d) {
			t.Fatalf("a document differs from itself:\n%s", out.String())
		}
	})
}
