package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	for _, pattern := range []string{"../../examples/managed-server/testdata/*.golden", "../../testdata/render/*.golden", "testdata/script/*.txtar"} {
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
	dir := f.TempDir()
	ref := filepath.Join(dir, "ref")
	if err := os.WriteFile(ref, golden, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errb bytes.Buffer
		code := run([]string{"diff", "-", ref}, bytes.NewReader(data), &out, &errb)
		if code != exitOK && code != exitFail && code != exitUsage {
			t.Fatalf("exit %d", code)
		}
		if code == exitUsage {
			return // undecodable
		}
		out.Reset()
		in := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if code := run([]string{"diff", "-", in}, bytes.NewReader(data), &out, &errb); code != exitOK {
			t.Fatalf("a document differs from itself (exit %d):\n%s", code, out.String())
		}
	})
}
