package udkit

import (
	"testing"

	"github.com/udkit/udkit/internal/hostile"
)

// BenchmarkLintWorst lints the worst documents of the attack run of issue
// 16 (before the per-document budget: 83 s, 2 s and 172 s).
func BenchmarkLintWorst(b *testing.B) {
	for _, c := range []struct {
		name string
		doc  []byte
	}{
		{"alias-parts-998", hostile.AliasParts(998, 900)},
		{"shared-gzip-units-60", hostile.SharedGzipUnits(60, 4<<20-4096, 2000)},
		{"shared-gzip-parts-100", hostile.SharedGzipParts(100)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.doc)))
			for i := 0; i < b.N; i++ {
				if _, _, err := Lint(c.doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
