package golden_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/golden"
)

// reporter stands in for the *testing.T a real test passes, so that the
// example can show what a failing comparison reports.
type reporter struct {
	testing.TB
	failures []string
}

func (r *reporter) Helper()      {}
func (r *reporter) Name() string { return "TestRender" }
func (r *reporter) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *reporter) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// In a test, compare the output with testdata/NAME.golden:
//
//	golden.Assert(t, "testdata/render.golden", out)
//
// Here a stand-in for t shows what a test sees when the output matches and
// when it does not.
func ExampleAssert() {
	dir, _ := os.MkdirTemp("", "golden-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "render.golden")
	os.WriteFile(path, []byte("#cloud-config\nruncmd: []\n"), 0o644)

	t := &reporter{}
	golden.Assert(t, path, []byte("#cloud-config\nruncmd: []\n"))
	fmt.Println("same bytes, failures:", len(t.failures))

	golden.Assert(t, path, []byte("#cloud-config\nruncmd: [true]\n"))
	first, _, _ := strings.Cut(t.failures[0], "\n")
	fmt.Println(strings.Replace(first, dir, "DIR", 1))
	fmt.Println(strings.Contains(t.failures[0], "-update"))
	// Output:
	// same bytes, failures: 0
	// golden: DIR/render.golden: mismatch (-want +got):
	// true
}
