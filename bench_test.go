package udkit_test

import (
	"os"
	"testing"

	"github.com/udkit/udkit"
)

// BenchmarkLint lints the managed-server example's user data, as
// `udkit lint` does: decode, document rules, cloud-config rules and the
// stop-hook rules of the unit inside.
func BenchmarkLint(b *testing.B) {
	data, err := os.ReadFile("examples/managed-server/testdata/user-data.golden")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, _, err := udkit.Lint(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSpecFile reads the example's spec file.
func BenchmarkParseSpecFile(b *testing.B) {
	data, err := os.ReadFile("examples/managed-server/spec.yaml")
	if err != nil {
		b.Fatal(err)
	}
	dir := os.DirFS("examples/managed-server")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := udkit.ParseSpecFile(data, dir); err != nil {
			b.Fatal(err)
		}
	}
}
