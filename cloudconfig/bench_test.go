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
