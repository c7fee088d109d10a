package semdiff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/hostile"
	"github.com/udkit/udkit/userdata"
)

func decodeT(t testing.TB, data []byte) *userdata.Decoded {
	t.Helper()
	d, err := userdata.Decode(data, userdata.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Issue 16 item 3: two cloud-configs of 105,000 keys in opposite orders
// took 150 s, a linear search per key. Matched through an index, the keys
// are probed a constant number of times each. Parts over maxPartYAML are
// compared line by line, so the same shape is checked at that size too.
func TestDiffWideMappingLinear(t *testing.T) {
	for _, keys := range []int{105000, 12000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			a, b := hostile.WideMapping(keys, 0), hostile.ReversedMapping(keys, 1)
			out := Decoded(decodeT(t, a), decodeT(t, b), Options{})
			if out.Equal() {
				t.Fatal("no difference found")
			}
			if most := 4 * keys; out.keyProbes > most {
				t.Errorf("%d key probes for %d keys, want at most %d", out.keyProbes, keys, most)
			}
		})
	}
}

// A structural diff of 25,000 keys still reports every changed value by
// its path.
func TestDiffWideMappingReport(t *testing.T) {
	r := Decoded(decodeT(t, hostile.WideMapping(12000, 0)), decodeT(t, hostile.ReversedMapping(12000, 1)), Options{})
	if got := strings.Count(r.String(), "\n-k"); got != 12000 {
		t.Errorf("%d changed keys reported, want 12000", got)
	}
}

// Many multi-line values that differ everywhere (25 pairs of 1,000 lines
// with no line in common, D = 2,000 each, about 4 M steps each to align):
// all the alignments together take at most maxDiffWork steps (plus the
// matching lines of one search pass), past which texts are shown as
// replaced.
func TestDiffAlignmentBudget(t *testing.T) {
	doc := func(c string) []byte {
		var b strings.Builder
		b.WriteString("#cloud-config\n")
		for i := 0; i < 25; i++ {
			fmt.Fprintf(&b, "k%d: |\n", i)
			for j := 0; j < 1000; j++ {
				fmt.Fprintf(&b, "  %s%d\n", c, j%7)
			}
		}
		return []byte(b.String())
	}
	a, b := doc("x"), doc("y")
	out := Decoded(decodeT(t, a), decodeT(t, b), Options{})
	if len(a) > maxPartYAML {
		t.Fatalf("test document is %d bytes, over maxPartYAML", len(a))
	}
	if most := maxDiffWork + 2*1001; out.work > most {
		t.Errorf("alignments took %d steps, over the %d of maxDiffWork", out.work, most)
	}
	if out.work < maxDiffWork/2 {
		t.Errorf("alignments took %d steps; the test meant to spend the budget", out.work)
	}
	// Every line of every value is still reported, removed or added.
	if got, want := len(out.Changes), 25*2*1000; got != want {
		t.Errorf("%d changes, want %d", got, want)
	}
}

// BenchmarkDiffWorst compares the worst inputs of the attack run: 105,000
// keys in opposite orders (compared line by line, over maxPartYAML), the
// same shape just under maxPartYAML (compared by key), and values that
// differ on every line.
func BenchmarkDiffWorst(b *testing.B) {
	for _, c := range []struct {
		name string
		a, b []byte
	}{
		{"wide-105000", hostile.WideMapping(105000, 0), hostile.ReversedMapping(105000, 1)},
		{"wide-12000", hostile.WideMapping(12000, 0), hostile.ReversedMapping(12000, 1)},
	} {
		b.Run(c.name, func(b *testing.B) {
			da, db := decodeT(b, c.a), decodeT(b, c.b)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Decoded(da, db, Options{})
			}
		})
	}
}
