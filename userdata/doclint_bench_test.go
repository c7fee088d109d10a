package userdata

import (
	"os"
	"testing"
)

// BenchmarkLintDocument times the document rules on the seed golden
// document (three parts), after Decode.
func BenchmarkLintDocument(b *testing.B) {
	data, err := os.ReadFile("testdata/golden/seed.golden")
	if err != nil {
		b.Fatal(err)
	}
	d, err := Decode(data, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if ds := LintDocument(data, d); len(ds) != 0 {
			b.Fatalf("findings on the seed: %v", ds)
		}
	}
}
