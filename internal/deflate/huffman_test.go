package deflate

import (
	"math/rand"
	"sort"
	"testing"
)

// refLimited is package-merge written plainly: every item carries the
// multiset of leaves it holds, and each leaf's length is how many of the
// chosen items hold it.
func refLimited(freq []int, maxBits int) int {
	type item struct {
		w      int
		leaves []int
	}
	var leaves []item
	for s, f := range freq {
		if f > 0 {
			leaves = append(leaves, item{f, []int{s}})
		}
	}
	if len(leaves) < 2 {
		return 0
	}
	sort.SliceStable(leaves, func(i, j int) bool { return leaves[i].w < leaves[j].w })
	list := append([]item(nil), leaves...)
	for j := 1; j < maxBits; j++ {
		var pk []item
		for i := 0; i+1 < len(list); i += 2 {
			pk = append(pk, item{list[i].w + list[i+1].w, append(append([]int(nil), list[i].leaves...), list[i+1].leaves...)})
		}
		list = append(append([]item(nil), leaves...), pk...)
		sort.SliceStable(list, func(a, b int) bool { return list[a].w < list[b].w })
	}
	lens := map[int]int{}
	for _, it := range list[:2*len(leaves)-2] {
		for _, s := range it.leaves {
			lens[s]++
		}
	}
	cost := 0
	for s, l := range lens {
		cost += l * freq[s]
	}
	return cost
}

// TestHuffmanLengthLimited checks huffmanLengths against the plain
// package-merge on skewed (Fibonacci-like) and random weights: a
// complete code, no length over the limit, and the optimal cost.
func TestHuffmanLengthLimited(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 300; trial++ {
		n := 2 + rng.Intn(40)
		freq := make([]int, n)
		a, b := 1, 1
		for i := range freq {
			switch trial % 3 {
			case 0: // Fibonacci: the unlimited code is n-1 deep
				freq[i] = a
				a, b = b, a+b
			case 1:
				freq[i] = rng.Intn(1000)
			default:
				freq[i] = 1 << rng.Intn(20)
			}
		}
		rng.Shuffle(n, func(i, j int) { freq[i], freq[j] = freq[j], freq[i] })
		for _, limit := range []int{7, 15} {
			nz := 0
			for _, f := range freq {
				if f > 0 {
					nz++
				}
			}
			if nz > 1<<limit {
				continue
			}
			lens := make([]uint8, n)
			huffmanLengths(freq, lens, limit)
			kraft, cost := 0, 0
			for s, l := range lens {
				if int(l) > limit || (freq[s] > 0) != (l > 0) {
					t.Fatalf("trial %d, limit %d: symbol %d (freq %d) gets length %d", trial, limit, s, freq[s], l)
				}
				if l > 0 {
					kraft += 1 << (limit - int(l))
					cost += int(l) * freq[s]
				}
			}
			if nz >= 2 && kraft != 1<<limit {
				t.Fatalf("trial %d, limit %d: code not complete (Kraft sum %d/%d)", trial, limit, kraft, 1<<limit)
			}
			if want := refLimited(freq, limit); nz >= 2 && cost != want {
				t.Fatalf("trial %d, limit %d: cost %d, optimal %d (freq %v, lens %v)", trial, limit, cost, want, freq, lens)
			}
		}
	}
}
