package deflate

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func zopfli(t testing.TB, in []byte) (int, time.Duration) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(f, in, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command("zopfli", "-c", f).Output()
	if err != nil {
		t.Fatalf("zopfli: %v", err)
	}
	return len(out), time.Since(start)
}

func inflateGo(t testing.TB, raw []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("compress/flate: %v", err)
	}
	return out
}

// TestMaxVsZopfli compares max mode with zopfli on the corpus.
func TestMaxVsZopfli(t *testing.T) {
	if testing.Short() {
		t.Skip("runs zopfli")
	}
	var ours, theirs int
	var ourTime, theirTime time.Duration
	for _, name := range corpusNames(t) {
		in := corpusFile(t, name)
		start := time.Now()
		gz := Gzip(in, Max)
		el := time.Since(start)
		if got := inflateGo(t, gz[10:len(gz)-8]); !bytes.Equal(got, in) {
			t.Fatalf("%s: max mode does not inflate to the input", name)
		}
		z, zt := zopfli(t, in)
		ours += len(gz)
		theirs += z
		ourTime += el
		theirTime += zt
		if testing.Verbose() {
			fmt.Printf("%-28s %7d: max %6d (%v)  zopfli %6d (%v)  %+.2f%%\n", name, len(in), len(gz), el.Round(time.Millisecond), z, zt.Round(time.Millisecond), 100*float64(len(gz)-z)/float64(z))
		}
	}
	t.Logf("corpus total: max %d in %v, zopfli %d in %v: %+.2f%%", ours, ourTime, theirs, theirTime, 100*float64(ours-theirs)/float64(theirs))
	if float64(ours) > 1.01*float64(theirs) {
		t.Errorf("max mode makes %d bytes on the corpus, more than 1%% over zopfli's %d", ours, theirs)
	}
}
