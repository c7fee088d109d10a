package deflate

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkQuick(b *testing.B) {
	in, _ := os.ReadFile(filepath.Join("testdata", "corpus", "08-bundle60k.mime"))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Gzip(in, Best)
	}
}

func BenchmarkQuickStd(b *testing.B) {
	in, _ := os.ReadFile(filepath.Join("testdata", "corpus", "08-bundle60k.mime"))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(in)
		w.Close()
	}
}
