package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so that Assert's failure path can itself be tested.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}
func (r *recorder) Logf(string, ...any) {}

func withUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func TestAssert(t *testing.T) {
	withUpdate(t, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.golden")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path      string
		got       string
		wantFail  bool
		wantInMsg []string
	}{
		{name: "equal", path: path, got: "a\nb\nc\n"},
		{name: "mismatch", path: path, got: "a\nB\nc\n", wantFail: true,
			wantInMsg: []string{"mismatch (-want +got)", "-", "+", "B", "go test ./golden -run '^TestAssert$/^mismatch$' -update"}},
		{name: "missing trailing newline", path: path, got: "a\nb\nc", wantFail: true,
			wantInMsg: []string{"mismatch (-want +got)"}},
		{name: "crlf only", path: path, got: "a\r\nb\r\nc\r\n", wantFail: true,
			wantInMsg: []string{"line endings", ".gitattributes"}},
		{name: "missing file", path: filepath.Join(dir, "nope.golden"), got: "x", wantFail: true,
			wantInMsg: []string{"does not exist", "-update"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			AssertString(r, tc.path, tc.got)
			if failed := len(r.errors) > 0; failed != tc.wantFail {
				t.Fatalf("failed = %v, want %v (errors: %q)", failed, tc.wantFail, r.errors)
			}
			msg := strings.Join(r.errors, "\n")
			for _, s := range tc.wantInMsg {
				if !strings.Contains(msg, s) {
					t.Errorf("message lacks %q:\n%s", s, msg)
				}
			}
		})
	}
}

func TestAssertUpdate(t *testing.T) {
	withUpdate(t, true)
	path := filepath.Join(t.TempDir(), "new", "dir", "x.golden")
	r := &recorder{TB: t}
	Assert(r, path, []byte("fresh\r\nbytes\n"))
	if len(r.errors) > 0 {
		t.Fatalf("update failed: %q", r.errors)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "fresh\r\nbytes\n" {
		t.Fatalf("written %q, want the exact bytes", got)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1", len(entries))
	}
	// With updating off again the rewritten file now matches.
	*update = false
	r = &recorder{TB: t}
	Assert(r, path, []byte("fresh\r\nbytes\n"))
	if len(r.errors) > 0 {
		t.Fatalf("after update: %q", r.errors)
	}
}

func TestRunPattern(t *testing.T) {
	for in, want := range map[string]string{
		"TestX":          "^TestX$",
		"TestX/case_one": "^TestX$/^case_one$",
		"TestX/a(b)":     `^TestX$/^a\(b\)$`,
		"TestX/it's":     `^TestX$/^it'\''s$`,
	} {
		if got := runPattern(in); got != want {
			t.Errorf("runPattern(%q) = %q, want %q", in, got, want)
		}
	}
}
