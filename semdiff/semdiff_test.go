package semdiff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/userdata"
)

func TestLineDiff(t *testing.T) {
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
			for _, op := range lineDiff(strings.Fields(tt.a), strings.Fields(tt.b)) {
				got = append(got, strings.Replace(op.sign, " ", "_", 1)+op.text)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// Texts with no line in common are every line removed then every line
// added.
func TestLineDiffAllChanged(t *testing.T) {
	a := make([]string, 5000)
	b := make([]string, 5000)
	for i := range a {
		a[i] = "a" + string(rune('0'+i%10))
		b[i] = "b" + string(rune('0'+i%10))
	}
	ops := lineDiff(a, b)
	if len(ops) != 10000 {
		t.Fatalf("%d ops, want every line removed and added", len(ops))
	}
}

// FuzzDiff compares arbitrary documents with the example's user data and
// with themselves: no panic, and a document is always the same as itself.
func FuzzDiff(f *testing.F) {
	for _, pattern := range []string{"../examples/managed-server/testdata/*.golden", "../testdata/render/*.golden"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	golden, err := os.ReadFile("../examples/managed-server/testdata/user-data.golden")
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
		_ = Decoded(d, ref, Options{NameA: "a", NameB: "ref"}).String()
		if r := Decoded(d, d, Options{}); !r.Equal() {
			t.Fatalf("a document differs from itself:\n%s", r)
		}
	})
}

func TestDiffEscapesHeaders(t *testing.T) {
	mime := func(parts ...string) []byte {
		s := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
		for _, p := range parts {
			s += "--B\r\n" + p + "\r\n#!/bin/sh\r\n"
		}
		return []byte(s + "--B--\r\n")
	}
	const plain = "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=a.sh\r\n"
	tests := []struct {
		name string
		a, b []byte
		want string // a line of the output
	}{
		{"terminal escape in filename of an added part", mime(plain),
			mime(plain, "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''%1B%5B2J%1B%5D0%3Bpwned%07x.sh\r\n"),
			`@@ part 2 (text/x-shellscript "\x1b[2J\x1b]0;pwned\ax.sh") @@`},
		{"newline in filename of a removed part",
			mime(plain, "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''x%0A%2Bonly%20in%20b\r\n"), mime(plain),
			`@@ part 2 (text/x-shellscript "x\n+only in b") @@`},
		{"right-to-left override in filename", mime(plain),
			mime(plain, "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''a%E2%80%AEhs.exe\r\n"),
			`@@ part 2 (text/x-shellscript "a\u202ehs.exe") @@`},
		{"NUL in filename", mime(plain),
			mime(plain, "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''a%00b\r\n"),
			`@@ part 2 (text/x-shellscript "a\x00b") @@`},
		{"terminal escape in content type", mime("Content-Type: text/x-a\r\n"), mime("Content-Type: text/x-\x1b[31ma\x00\r\n"),
			`+content type: "text/x-\x1b[31ma\x00"`},
		{"terminal escape in content type of an added part", mime(plain), mime(plain, "Content-Type: text/x-\x1b[31ma\r\n"),
			`@@ part 2 ("text/x-\x1b[31ma") @@`},
		{"right-to-left override in content type", mime("Content-Type: text/x-a\r\n"), mime("Content-Type: text/x-\u202ea\r\n"),
			`+content type: "text/x-\u202ea"`},
		{"control characters in merge type", mime(plain + "X-Merge-Type: list(append)\r\n"),
			mime(plain + "X-Merge-Type: list(append)\x1b[2K\x00\u202e\r\n"),
			`+merge type: "list(append)\x1b[2K\x00\u202e"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := userdata.Decode(tc.a, userdata.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := userdata.Decode(tc.b, userdata.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r := Decoded(a, b, Options{})
			if r.Equal() {
				t.Fatalf("no difference found:\n%s", r)
			}
			got := r.String()
			if !strings.Contains("\n"+got, "\n"+tc.want+"\n") {
				t.Errorf("output lacks the line %s:\n%s", tc.want, got)
			}
			for i := 0; i < len(got); i++ {
				if c := got[i]; (c < ' ' && c != '\n') || c > '~' {
					t.Errorf("output holds byte %#x at %d: %q", c, i, got)
					break
				}
			}
		})
	}
}
