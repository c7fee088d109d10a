package deflate

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// corpusNames lists the texts of testdata/corpus.
func corpusNames(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", "corpus", "[0-9]*"))
	if err != nil || len(m) < 10 {
		t.Fatalf("corpus: %d texts, %v", len(m), err)
	}
	sort.Strings(m)
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// prefixSizes are the sizes at which every corpus text is cut to check
// the default mode against gzip -9, besides its whole length.
var prefixSizes = []int{1 << 10, 3 << 10, 8 << 10, 16 << 10, 17 << 10, 24 << 10, 40 << 10, 57 << 10, 64 << 10, 100 << 10, 160 << 10}

func gzip9(t testing.TB, in []byte) int {
	t.Helper()
	cmd := exec.Command("gzip", "-9", "-n", "-c")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gzip -9 -n: %v", err)
	}
	return len(out)
}

// TestBestNotLargerThanGzip9 checks the default mode against `gzip -9 -n`
// on every corpus text, whole and cut at prefixSizes.
func TestBestNotLargerThanGzip9(t *testing.T) {
	if _, err := exec.LookPath("gzip"); err != nil {
		t.Fatal("gzip is not installed (Debian package gzip)")
	}
	var ours, theirs int
	for _, name := range corpusNames(t) {
		full := corpusFile(t, name)
		for _, n := range append(append([]int(nil), prefixSizes...), len(full)) {
			if n > len(full) {
				continue
			}
			in := full[:n]
			got, want := len(Gzip(in, Best)), gzip9(t, in)
			if n == len(full) {
				ours += got
				theirs += want
				if testing.Verbose() {
					fmt.Printf("%-28s %7d: udkit %6d  gzip -9 %6d  %+d\n", name, n, got, want, got-want)
				}
			}
			if got > want {
				t.Errorf("%s, first %d bytes: %d bytes gzip'd, gzip -9 -n makes %d", name, n, got, want)
			}
		}
	}
	t.Logf("corpus total: udkit %d, gzip -9 -n %d", ours, theirs)
}
