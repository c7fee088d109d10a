package userdata

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand"
	"testing"
)

func TestDeflateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 70000)
	rng.Read(random)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog 0123456789\n"), 2000)
	tests := map[string][]byte{
		"empty": {}, "one": {'x'}, "two": []byte("ab"), "three": []byte("aaa"), "run": bytes.Repeat([]byte{'a'}, 100000),
		"random": random, "text": text, "seed": mustEncode(t, seedDocument(t)), "large": mustEncode(t, largeBundle(t)),
	}
	var d deflater
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			gz := gzipDeflate(&d, in)
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("round trip differs (%d bytes in, %d out)", len(in), len(out))
			}
			// And through this package's own gzip reader.
			if out, err := gunzip(gz, 1<<24); err != nil || !bytes.Equal(out, in) {
				t.Fatalf("gunzip: %v (%d bytes in, %d out)", err, len(in), len(out))
			}
		})
	}
}

func mustEncode(t testing.TB, d *Document) []byte {
	out, err := d.Encode(Options{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDistCode(t *testing.T) {
	for d := 1; d <= 32768; d++ {
		want := -1
		for c := 29; c >= 0; c-- {
			if int(distBase[c]) <= d {
				want = c
				break
			}
		}
		if got := distCode(uint16(d)); got != want {
			t.Fatalf("distCode(%d) = %d, want %d", d, got, want)
		}
	}
}

// FuzzDeflate checks that any input comes back from compress/gzip
// unchanged after this package's gzip encoding.
func FuzzDeflate(f *testing.F) {
	f.Add([]byte("#cloud-config\nruncmd: [ls]\n"))
	f.Add(bytes.Repeat([]byte("abcabcabd"), 100))
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 0, 0, 1})
	var d deflater
	f.Fuzz(func(t *testing.T, in []byte) {
		gz := gzipDeflate(&d, in)
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip differs: %q -> %q", in, out)
		}
	})
}
