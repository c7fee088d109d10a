// Package golden compares test output with golden files and rewrites them on
// request.
//
// A golden file holds the exact bytes a test expects. [Assert] reads the
// file and reports a mismatch as a line diff in go-cmp's (-want +got) form.
// Run the tests with the -update flag to rewrite the golden files from the
// output instead:
//
//	go test ./mypkg -run TestRender -update
//
// Comparison is byte for byte: a golden file that git checked out with CRLF
// line endings does not match output with LF. Mark golden files as binary for
// git so that never happens:
//
//	# .gitattributes
//	*.golden -text
//	**/testdata/** -text
//
// A mismatch caused only by line endings is reported as such, with that
// advice.
//
// For user data, package github.com/udkit/udkit/golden/udgolden has
// AssertUserData, which reports a mismatch as a semantic diff (parts, YAML
// paths, unit keys) of the decoded documents rather than of their base64
// or gzip bytes. It is a package of its own because it imports userdata,
// whose own tests import this package.
//
// Importing this package registers the -update flag on the default flag set;
// a test binary that defines its own -update flag must not import it.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files with the output of the tests (github.com/udkit/udkit/golden)")

// Updating reports whether the test binary was run with -update, that is
// whether [Assert] rewrites golden files instead of comparing with them.
func Updating() bool { return *update }

// Assert compares got with the contents of the golden file at path. On a
// mismatch it marks the test failed with a diff and the command that
// rewrites the file; it does not stop the test. With -update it writes got
// to path (creating missing directories) and passes.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	AssertFunc(t, path, got, func(want, got []byte) string { return compare(path, want, got) })
}

// AssertFunc is [Assert] with another comparison: diff returns "" when
// got matches want, the golden file's contents, and otherwise a
// description of the difference, which AssertFunc reports followed by the
// command that rewrites the file. The -update handling, the message for a
// missing file and the update command are Assert's. Package
// github.com/udkit/udkit/golden/udgolden uses it to compare user data by
// what cloud-init sees.
func AssertFunc(t testing.TB, path string, got []byte, diff func(want, got []byte) string) {
	t.Helper()
	if *update {
		if err := write(path, got); err != nil {
			t.Fatalf("golden: updating %s: %v", path, err)
		}
		t.Logf("golden: updated %s (%d bytes)", path, len(got))
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("golden: %s does not exist; create it with: %s", path, updateCommand(t.Name()))
		return
	}
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if msg := diff(want, got); msg != "" {
		t.Errorf("%s\nIf the new output is right, rewrite the file with: %s", msg, updateCommand(t.Name()))
	}
}

// AssertString is [Assert] for string output.
func AssertString(t testing.TB, path, got string) {
	t.Helper()
	Assert(t, path, []byte(got))
}

// compare returns "" when want and got are equal, else a description of the
// difference.
func compare(path string, want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	if bytes.Equal(bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n"))) {
		return fmt.Sprintf("golden: %s differs from the output only in line endings (CRLF against LF); "+
			"mark golden files -text in .gitattributes so git does not convert them, then check the file out again", path)
	}
	return fmt.Sprintf("golden: %s: mismatch (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
}

// write replaces path with data through a temporary file in the same
// directory, so that an interrupted update never leaves half a golden file.
func write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".golden-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// updateCommand is the command that reruns test name with -update. Tests
// run in their package's directory, so the package is named relative to the
// module root when one is found above it.
func updateCommand(name string) string {
	pkg := ""
	if wd, err := os.Getwd(); err == nil {
		if root := moduleRoot(wd); root != "" {
			if rel, err := filepath.Rel(root, wd); err == nil {
				pkg = "./" + filepath.ToSlash(rel) + " "
				if rel == "." {
					pkg = ". "
				}
			}
		}
	}
	return fmt.Sprintf("go test %s-run '%s' -update", pkg, runPattern(name))
}

// moduleRoot returns the nearest directory at or above dir holding go.mod,
// or "".
func moduleRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// runPattern turns a test name into a -run pattern that selects exactly that
// test or subtest.
func runPattern(name string) string {
	var b bytes.Buffer
	b.WriteByte('^')
	for _, r := range name {
		switch r {
		case '/':
			b.WriteString("$/^")
			continue
		case '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$':
			b.WriteByte('\\')
		case '\'':
			b.WriteString(`'\''`)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('$')
	return b.String()
}
