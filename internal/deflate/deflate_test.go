package deflate

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

func TestDeflateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 70000)
	rng.Read(random)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog 0123456789\n"), 2000)
	tests := map[string][]byte{
		"empty": {}, "one": {'x'}, "two": []byte("ab"), "three": []byte("aaa"), "run": bytes.Repeat([]byte{'a'}, 100000),
		"random": random, "text": text, "seed": corpusFile(t, "02-seed.mime"), "large": corpusFile(t, "08-bundle60k.mime"),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			gz := Gzip(in, Best)
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
		})
	}
}

// corpusFile reads one text of testdata/corpus.
func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	f.Fuzz(func(t *testing.T, in []byte) {
		gz := Gzip(in, Best)
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

// refChains is zlib's match finder written plainly: full hash chains of
// int32 positions, walked one link at a time with no limit.
type refChains struct {
	head [1 << dfHashBits]int32
	prev []int32
}

func (r *refChains) insert(in []byte, i int) {
	h := dfHash(in, i)
	r.prev[i] = r.head[h]
	r.head[h] = int32(i) + 1
}

func (r *refChains) longest(in []byte, i, prevLen int) (length, dist int) {
	maxLen := min(dfMaxMatch, len(in)-i)
	best := prevLen
	for v := r.prev[i]; v >= 1; v = r.prev[v-1] {
		cand := int(v - 1)
		if cand <= i-dfWindow || best >= maxLen {
			break
		}
		if n := matchLen(in[cand:cand+maxLen], in[i:i+maxLen]); n > best {
			best, length, dist = n, n, i-cand
			if n >= dfNiceLen || n >= maxLen {
				break
			}
		}
	}
	if length < dfMinMatch {
		return 0, 0
	}
	return length, dist
}

// TestLongestMatchSkipAhead checks the deflater's match finder (a 64 KiB
// ring of chain links, skipping ahead on the chain of a later offset)
// against the plain walk: the same longest, nearest match at every
// position, for several lengths to beat. The inputs are small enough, or
// varied enough, that the chain limit does not come into play.
func TestLongestMatchSkipAhead(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var words []byte
	for i := 0; i < 8000; i++ {
		w := []string{"the ", "cloud ", "config ", "  - ", "path: ", "/etc/", "\n", "    ", "ExecStop=", "register", "0644 "}
		words = append(words, w[rng.Intn(len(w))]...)
	}
	inputs := map[string][]byte{
		"seed": corpusFile(t, "02-seed.mime"), "large": corpusFile(t, "08-bundle60k.mime"),
		"registry": corpusFile(t, "03-render-registry.golden"), "words": words,
	}
	for name, in := range inputs {
		if raceEnabled && len(in) > 8<<10 {
			in = in[:8<<10]
		}
		t.Run(name, func(t *testing.T) {
			d := new(deflater)
			d.base = 1
			r := &refChains{prev: make([]int32, len(in))}
			for i := 0; i+dfMinMatch <= len(in); i++ {
				d.insert(in, i)
				r.insert(in, i)
				for _, prevLen := range []int{2, 3, 5, 12} {
					l1, d1 := r.longest(in, i, prevLen)
					// Without (default mode) and with (max mode's
					// frontier search) skip-ahead on the chain.
					for _, rec := range []bool{false, true} {
						d.record = rec
						l2, d2 := d.longestMatch(in, i, prevLen)
						d.frontier = d.frontier[:0]
						if l1 != l2 || d1 != d2 {
							t.Fatalf("position %d, beating %d, skip-ahead %v: plain walk %d bytes at %d, deflater %d at %d", i, prevLen, rec, l1, d1, l2, d2)
						}
					}
				}
			}
		})
	}
}
