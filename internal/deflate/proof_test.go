package deflate

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// degenerate returns inputs that stress the encoder's corners.
func degenerate() map[string][]byte {
	rng := rand.New(rand.NewSource(42))
	random := make([]byte, 200<<10)
	rng.Read(random)
	text := []byte(strings.Repeat("ExecStop=/mnt/shared/bin/deregister --name app\n", 400))
	// Many blocks: alternating random and text segments of varied sizes,
	// so the statistics change every few kilobytes.
	var many []byte
	for i := 0; len(many) < 600<<10; i++ {
		n := 500 + rng.Intn(6000)
		if i%2 == 0 {
			many = append(many, random[:n]...)
		} else {
			many = append(many, text[i%40:i%40+n]...)
		}
	}
	// Runs of varied bytes and lengths, crossing 258 and the window.
	var runs []byte
	for i := 0; len(runs) < 300<<10; i++ {
		runs = append(runs, bytes.Repeat([]byte{byte(i * 37)}, 1+rng.Intn(70000)%(1+i%5*17000))...)
	}
	// Every byte value once, then the whole again at distance 32768,
	// just inside the window, and at 32769, just outside.
	var window []byte
	for i := 0; i < 256; i++ {
		window = append(window, byte(i))
	}
	window = append(window, random[:32768-256]...)
	window = append(window, window[:300]...)
	window = append(window, 0xAA)
	window = append(window, window[1:301]...)
	return map[string][]byte{
		"empty":        {},
		"one-byte":     {'x'},
		"two-bytes":    []byte("ab"),
		"zero-1MiB":    make([]byte, 1<<20),
		"a-100000":     bytes.Repeat([]byte{'a'}, 100000),
		"ab-70000":     bytes.Repeat([]byte("ab"), 35000),
		"runs":         runs,
		"random-200K":  random,
		"random-70000": random[:70000], // over a stored block's 65535
		"many-blocks":  many,
		"window-edge":  window,
		"text":         text,
	}
}

// proofInputs is the corpus plus the degenerate inputs.
func proofInputs(t testing.TB) map[string][]byte {
	in := degenerate()
	for _, name := range corpusNames(t) {
		in[name] = corpusFile(t, name)
	}
	return in
}

// TestInflatesEverywhere encodes every corpus text and degenerate input
// in both modes and checks that Go's compress/flate and compress/gzip
// and Python's zlib and gzip modules (what cloud-init uses) all give the
// input back.
func TestInflatesEverywhere(t *testing.T) {
	dir := t.TempDir()
	inputs := proofInputs(t)
	var list bytes.Buffer
	n := 0
	for name, in := range inputs {
		for _, m := range []Mode{Best, Max} {
			if m == Max && (testing.Short() || raceEnabled) && len(in) > 100<<10 {
				continue
			}
			gz := Gzip(in, m)
			raw := gz[10 : len(gz)-8]
			if out, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw))); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("%s, mode %d: compress/flate gives %d bytes, %v; want the %d input bytes", name, m, len(out), err, len(in))
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatalf("%s, mode %d: compress/gzip: %v", name, m, err)
			}
			if out, err := io.ReadAll(zr); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("%s, mode %d: compress/gzip gives %d bytes, %v", name, m, len(out), err)
			}
			// Deterministic: the same bytes a second time.
			if again := Gzip(in, m); !bytes.Equal(again, gz) {
				t.Fatalf("%s, mode %d: a second encoding differs", name, m)
			}
			base := filepath.Join(dir, fmt.Sprint(n))
			n++
			if err := os.WriteFile(base+".in", in, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(base+".gz", gz, 0o644); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&list, "%s\t%s mode %d\n", base, name, m)
		}
	}
	// One Python process checks every stream.
	const script = `
import gzip, sys, zlib
bad = 0
for line in sys.stdin:
    base, name = line.rstrip("\n").split("\t")
    want = open(base + ".in", "rb").read()
    gz = open(base + ".gz", "rb").read()
    a = gzip.decompress(gz)
    b = zlib.decompress(gz[10:-8], -15)
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)  # cloud-init's decomp_gzip path
    c = d.decompress(gz) + d.flush()
    if a != want or b != want or c != want or not d.eof:
        print("MISMATCH", name, len(want), len(a), len(b), len(c))
        bad += 1
print("checked")
sys.exit(1 if bad else 0)
`
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = &list
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "checked") {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	t.Logf("%d streams inflate with compress/flate, compress/gzip and Python's gzip and zlib", n)
}

// FuzzDeflateMax checks that max mode's output of any input inflates
// with compress/flate to the input, and is deterministic.
func FuzzDeflateMax(f *testing.F) {
	f.Add([]byte("#cloud-config\nruncmd: [ls]\n"))
	f.Add(bytes.Repeat([]byte("abcabcabd"), 100))
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		raw := Deflate(nil, in, Max)
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("max mode round trip: %v (%d bytes in, %d out)", err, len(in), len(out))
		}
		if again := Deflate(nil, in, Max); !bytes.Equal(again, raw) {
			t.Fatal("max mode is not deterministic")
		}
	})
}
