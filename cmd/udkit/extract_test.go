package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/userdata"
)

func TestExtractName(t *testing.T) {
	tests := []struct {
		name     string
		index    int
		filename string
		want     string
	}{
		{"plain", 2, "10-register.sh", "002-10-register.sh"},
		{"unnamed", 7, "", "007-part-007"},
		{"unnamed past 999", 1000, "", "1000-part-1000"},
		{"parent traversal", 1, "../../x", "001-_._.__x"},
		{"absolute", 1, "/etc/passwd", "001-_etc_passwd"},
		{"subdirectory", 1, "a/b", "001-a_b"},
		{"backslashes", 1, `C:\x\y.bat`, "001-C__x_y.bat"},
		{"dot", 1, ".", "001-_"},
		{"dotdot", 1, "..", "001-_."},
		{"hidden", 1, ".bashrc", "001-_bashrc"},
		{"dots inside", 1, "a...b", "001-a._.b"},
		{"control characters", 1, "a\x00b\nc\x1b[0m\x7f", "001-a_b_c__0m_"},
		{"non-ascii", 1, "ą.sh", "001-__.sh"},
		{"spaces and quotes", 1, `a b"c'`, "001-a_b_c_"},
		{"kept punctuation", 1, "a+b_c-d.e", "001-a+b_c-d.e"},
		{"long", 3, strings.Repeat("x", 300), "003-" + strings.Repeat("x", maxExtractName)},
		{"only separators", 1, "///", "001-___"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := extractName(tc.index, tc.filename); got != tc.want {
				t.Errorf("extractName(%d, %q) = %q, want %q", tc.index, tc.filename, got, tc.want)
			}
		})
	}
}

// FuzzExtractName checks that no filename yields a name that could leave
// the directory or hide: one path element, no "..", no leading dot, only
// the safe characters, bounded, with the index in front.
func FuzzExtractName(f *testing.F) {
	for _, s := range []string{"", "10-register.sh", "../../x", "/etc/passwd", "a/b", ".hidden", "..", "a\nb", "ą", strings.Repeat("y", 200)} {
		f.Add(1, s)
	}
	f.Fuzz(func(t *testing.T, index int, filename string) {
		if index < 1 || index > 100000 {
			t.Skip()
		}
		got := extractName(index, filename)
		prefix, rest, ok := strings.Cut(got, "-")
		if !ok || len(prefix) < 3 {
			t.Fatalf("%q: no NNN- prefix", got)
		}
		if len(rest) > maxExtractName || rest == "" {
			t.Fatalf("%q: name part of %d bytes", got, len(rest))
		}
		if strings.HasPrefix(rest, ".") || strings.Contains(got, "..") {
			t.Fatalf("%q: leading dot or '..'", got)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._+-", c) >= 0) {
				t.Fatalf("%q: byte %q", got, c)
			}
		}
		if filepath.Base(got) != got || filepath.Clean(got) != got {
			t.Fatalf("%q: not a single clean path element", got)
		}
		if again := extractName(index, filename); again != got {
			t.Fatalf("not deterministic: %q then %q", got, again)
		}
	})
}

// TestExtractPartsModes checks the files are 0644 (a shell script too)
// and a new directory 0755, with the payloads as their contents, and that
// a second run into the now non-empty directory is refused.
func TestExtractPartsModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := &userdata.Decoded{Parts: []userdata.Part{
		{ContentType: "text/x-shellscript", Filename: "run.sh", Body: []byte("#!/bin/sh\necho hi\n")},
		{ContentType: "text/cloud-config", Body: []byte("#cloud-config\n")},
	}}
	paths, err := extractParts(d, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "001-run.sh"), filepath.Join(dir, "002-part-002")}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", p, fi.Mode())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(d.Parts[i].Body) {
			t.Errorf("%s: %q, want %q", p, b, d.Parts[i].Body)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("dir: %v %v, want 0755", fi, err)
	}
	// A second run into the same, now non-empty, directory is refused.
	if _, err := extractParts(d, dir, false); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second run: %v, want a not-empty error", err)
	}
}
