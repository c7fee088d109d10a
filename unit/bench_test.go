package unit

import (
	"bytes"
	"os"
	"testing"
)

func benchHook(b *testing.B) *Hook {
	b.Helper()
	h, err := StopHook(goldenHooks[2].cfg)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func BenchmarkStopHook(b *testing.B) {
	cfg := goldenHooks[2].cfg
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := StopHook(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	u := benchHook(b).Unit
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := u.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile("testdata/golden/register-every-boot.service")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLint(b *testing.B) {
	u := benchHook(b).Unit
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Lint(u)
	}
}

func BenchmarkExec(b *testing.B) {
	argv := goldenHooks[3].cfg.Stop
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Exec(argv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBytes is BenchmarkParse without the reader: what the root
// package's lint of a stop hook pays.
func BenchmarkParseBytes(b *testing.B) {
	text, err := os.ReadFile("testdata/golden/register-every-boot.service")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseBytes(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLint parses and lints a stop hook's text, as the root
// package's lint does for every stop hook a cloud-config writes.
func BenchmarkParseLint(b *testing.B) {
	text, err := os.ReadFile("testdata/golden/register-every-boot.service")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		u, err := ParseBytes(text)
		if err != nil {
			b.Fatal(err)
		}
		Lint(u)
	}
}
