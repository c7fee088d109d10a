package cloudconfig_test

import (
	"testing"

	"github.com/udkit/udkit/cloudconfig"
)

// BenchmarkMarshalSeedScenario renders the seed scenario's cloud-config.
func BenchmarkMarshalSeedScenario(b *testing.B) {
	c := seedScenario()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSeedScenario parses the seed scenario's rendered
// cloud-config.
func BenchmarkParseSeedScenario(b *testing.B) {
	data, err := seedScenario().Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := cloudconfig.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateLintSeedScenario runs Validate and Lint on the seed
// scenario.
func BenchmarkValidateLintSeedScenario(b *testing.B) {
	c := seedScenario()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
		_ = cloudconfig.Lint(c)
	}
}

// BenchmarkAliasExpansion measures the alias limits: rejecting the 80 KB
// document that aliases a 4 KiB scalar 20000 times, and the whole pipeline
// (Parse, Validate, Lint, Marshal) on the largest small document accepted,
// 250 copies of it (1 MiB of text).
func BenchmarkAliasExpansion(b *testing.B) {
	b.Run("reject 20000 aliases", func(b *testing.B) {
		data := []byte(aliasTextBomb(4096, 20000))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := cloudconfig.Parse(data); err == nil {
				b.Fatal("parsed")
			}
		}
	})
	b.Run("accept 250 aliases", func(b *testing.B) {
		data := []byte(aliasTextBomb(4096, 250))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c, err := cloudconfig.Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Validate()
			_ = cloudconfig.Lint(c)
			if _, err := c.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
