package deflate

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// scaleText returns n bytes of the corpus texts one after another,
// numbered lines once the corpus runs out, so that no stretch repeats
// within the 32 KiB window.
func scaleText(b *testing.B, n int) []byte {
	var all []byte
	for _, name := range corpusNames(b) {
		all = append(all, corpusFile(b, name)...)
	}
	out := make([]byte, 0, n)
	for round := 0; len(out) < n; round++ {
		for _, line := range bytes.SplitAfter(all, []byte("\n")) {
			if round > 0 {
				out = fmt.Appendf(out, "%d:", round)
			}
			out = append(out, line...)
			if len(out) >= n {
				break
			}
		}
	}
	return out[:n]
}

// BenchmarkScale encodes 1 KiB to 1 MiB of text in both modes: the MB/s
// stay level as the input grows, i.e. time is linear in its size.
func BenchmarkScale(b *testing.B) {
	for _, m := range []struct {
		name string
		mode Mode
	}{{"best", Best}, {"max", Max}} {
		for _, n := range []int{1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20} {
			in := scaleText(b, n)
			b.Run(fmt.Sprintf("%s/%dK", m.name, n>>10), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for i := 0; i < b.N; i++ {
					Gzip(in, m.mode)
				}
			})
		}
	}
}

// BenchmarkBundle compares the default mode with compress/gzip's
// default level (what Terraform's cloudinit provider uses) on the seed
// document and the 60 KB bundle. The two run alternately in one loop,
// so that a busy machine slows both alike: udkit-ns/op and gzip-ns/op
// are their times, x-compress-gzip how many times faster udkit is.
func BenchmarkBundle(b *testing.B) {
	for _, name := range []string{"02-seed.mime", "08-bundle60k.mime"} {
		in := corpusFile(b, name)
		b.Run(name, func(b *testing.B) {
			var ours, theirs time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				Gzip(in, Best)
				t1 := time.Now()
				var buf bytes.Buffer
				w := gzip.NewWriter(&buf)
				w.Write(in)
				w.Close()
				theirs += time.Since(t1)
				ours += t1.Sub(t0)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "udkit-ns/op")
			b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "gzip-ns/op")
			b.ReportMetric(float64(theirs)/float64(ours), "x-compress-gzip")
		})
	}
}

// BenchmarkMaxCorpus encodes the whole corpus in max mode and reports
// zopfli's time on the same texts (one run of `zopfli -c` per text,
// default iterations) as zopfli-ns/op and the ratio as x-zopfli.
func BenchmarkMaxCorpus(b *testing.B) {
	names := corpusNames(b)
	var ins [][]byte
	var zt time.Duration
	dir := b.TempDir()
	for _, name := range names {
		in := corpusFile(b, name)
		ins = append(ins, in)
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, in, 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := exec.Command("zopfli", "-c", f).Run(); err != nil {
			b.Fatalf("zopfli: %v", err)
		}
		zt += time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, in := range ins {
			Gzip(in, Max)
		}
	}
	b.ReportMetric(float64(zt.Nanoseconds()), "zopfli-ns/op")
	b.ReportMetric(float64(zt)/(float64(b.Elapsed())/float64(b.N)), "x-zopfli")
}

// BenchmarkSmall encodes the small documents of the corpus in the default
// mode alone: the size of one rendered spec's user data, where the
// per-call costs (tables, block planning) weigh most.
func BenchmarkSmall(b *testing.B) {
	for _, name := range []string{"01-render-minimal.golden", "02-seed.mime", "03-render-registry.golden"} {
		in := corpusFile(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for i := 0; i < b.N; i++ {
				Gzip(in, Best)
			}
		})
	}
}
