package deflate

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// The differential test of the encoder against itself as it was: the
// SHA-256 of its output, in both modes, for every corpus text and
// degenerate input, whole and cut at pinCuts (from the start and from the
// end), is pinned in testdata/pins.txt. An optimisation must leave every
// output byte as it was; a change of output is made on purpose only, with
// UDKIT_UPDATE_PINS=1 and a commit that says why.

// pinCuts are the lengths inputs are cut to: around the minimum match, a
// maximum match, the split chunk, a few user-data sizes, the window.
var pinCuts = []int{1, 2, 3, 4, 5, 7, 10, 31, 64, 100, 257, 258, 259, 260, 500, 1000, 1023, 1024, 1025, 2048, 2967, 3000, 4096, 5000, 8192, 16384, 32767, 32768, 32769, 40000, 65535, 65536, 70000, 100000}

// pinMaxUpTo bounds the inputs that max mode is pinned on (it is slow).
const pinMaxUpTo = 8 << 10

// pinOutputs encodes every pinned input through the pooled encoder, in a
// fixed order (so that state one input leaves behind shows in the next),
// and returns the hash of each output by name.
func pinOutputs(t testing.TB) map[string]string {
	inputs := proofInputs(t)
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]string{}
	sum := func(key string, b []byte) {
		h := sha256.Sum256(b)
		out[key] = hex.EncodeToString(h[:])
	}
	for _, n := range names {
		in := inputs[n]
		pieces := map[string][]byte{"whole": in}
		for _, c := range pinCuts {
			if c < len(in) {
				pieces[fmt.Sprintf("head%d", c)] = in[:c]
				pieces[fmt.Sprintf("tail%d", c)] = in[len(in)-c:]
			}
		}
		keys := make([]string, 0, len(pieces))
		for k := range pieces {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := pieces[k]
			sum(n+"/"+k+"/best", Gzip(p, Best))
			// Deflate appends to what dst holds.
			sum(n+"/"+k+"/best-dst", Deflate([]byte("prefix"), p, Best))
			if len(p) <= pinMaxUpTo {
				sum(n+"/"+k+"/max", Gzip(p, Max))
			}
		}
	}
	return out
}

func TestOutputPinned(t *testing.T) {
	got := pinOutputs(t)
	const file = "testdata/pins.txt"
	if os.Getenv("UDKIT_UPDATE_PINS") == "1" {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("# SHA-256 of the encoder's output per input/piece/mode (pin_test.go); regenerate on purpose only\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", k, got[k])
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(k, "#") {
			want[k] = v
		}
	}
	if len(want) != len(got) {
		t.Errorf("%d pinned outputs, %d computed", len(want), len(got))
	}
	bad := 0
	for k, v := range got {
		if want[k] != v {
			if bad++; bad <= 20 {
				t.Errorf("%s: output changed (sha256 %s, pinned %s)", k, v, want[k])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d outputs changed", bad, len(got))
	}
}
