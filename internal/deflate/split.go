package deflate

import "math"

// Block splitting. The parser hands over up to dfSegmentSyms tokens at a
// time; writeBlocks cuts them into blocks where the statistics change,
// so that each block gets Huffman codes fitted to its own content, and
// one long block where they do not (gzip -9 cuts every 32767 symbols
// whatever the content; zlib every 16383).
//
// The cut points are chosen among chunk boundaries (every splitChunk
// tokens) by dynamic programming over an estimate of each block's size:
// the entropy of its symbols, their extra bits and a header estimate.
// Blocks span at most splitSpan chunks, so the work is linear in the
// number of tokens.
const (
	splitChunk = 1024
	splitSpan  = 48
)

// symCount is a symbol and how often it occurs in a chunk.
type symCount struct {
	sym uint16
	n   int32
}

// hist is the symbol histogram of a run of tokens.
type hist struct {
	lit   [dfNumLitLen]int32
	dist  [dfNumDist]int32
	extra int // extra bits of the lengths and distances
	n     int // tokens
}

func (h *hist) add(t token) {
	h.n++
	if t.dist == 0 {
		h.lit[t.length]++
		return
	}
	lc := lengthCode[t.length]
	h.lit[lc]++
	dc := distCode(t.dist)
	h.dist[dc]++
	h.extra += int(lengthExtra[lc-dfLengthBase]) + int(distExtra[dc])
}

func (h *hist) addHist(o *hist) {
	for i := range h.lit {
		h.lit[i] += o.lit[i]
	}
	for i := range h.dist {
		h.dist[i] += o.dist[i]
	}
	h.extra += o.extra
	h.n += o.n
}

// estimate is the estimated size in bits of a dynamic block with these
// symbols.
func (h *hist) estimate() float64 {
	return entropyBits(h.lit[:], 1) + entropyBits(h.dist[:], 0) + float64(h.extra) + 3 + 14
}

// flog2 holds f*log2(f) for small counts f.
var flog2 = func() *[1 << 14]float32 {
	var t [1 << 14]float32
	for f := 1; f < len(t); f++ {
		t[f] = float32(float64(f) * math.Log2(float64(f)))
	}
	return &t
}()

func fLog2(f int) float64 {
	if f < len(flog2) {
		return float64(flog2[f])
	}
	return float64(f) * math.Log2(float64(f))
}

// entropyBits is the entropy of freq in bits (plus eob extra symbols of
// count 1) and an estimate of what the code lengths cost in the header.
func entropyBits(freq []int32, eob int) float64 {
	total := eob
	sum := 0.0
	hdr := 0.0
	zeros := 0
	for _, f := range freq {
		if f == 0 {
			zeros++
			continue
		}
		if zeros > 0 {
			hdr += 5 + float64(min(zeros, 3))
			zeros = 0
		}
		total += int(f)
		sum += fLog2(int(f))
		hdr += 4
	}
	if total == 0 {
		return 0
	}
	return fLog2(total) - sum + hdr
}

// writeBlocks writes d.tokens (which code raw) as one or more blocks.
func (d *deflater) writeBlocks(raw []byte, final bool) {
	d.writeBlocksSplit(raw, final, splitChunk, splitSpan)
}

// writeBlocksSplit is writeBlocks with chunks of chunk tokens, blocks of
// at most span chunks.
func (d *deflater) writeBlocksSplit(raw []byte, final bool, splitChunk, splitSpan int) {
	tokens := d.tokens
	cuts := d.cutTokens(tokens, splitChunk, splitSpan)
	start, pos := 0, 0
	for k, end := range cuts {
		n := len(raw) - pos // the last block codes the rest
		if k < len(cuts)-1 {
			n = rawLen(tokens[start:end])
		}
		var planned *blockPlan
		if d.planOK {
			planned = &d.plans[k]
		}
		d.writeBlock(tokens[start:end], raw[pos:pos+n], final && k == len(cuts)-1, planned)
		start, pos = end, pos+n
	}
	d.tokens = d.tokens[:0]
}

// rawLen is how many input bytes tokens code.
func rawLen(tokens []token) int {
	n := 0
	for _, t := range tokens {
		if t.dist == 0 {
			n++
		} else {
			n += int(t.length)
		}
	}
	return n
}

// cutTokens returns where the blocks of tokens end, as token indices in
// increasing order, the last being len(tokens).
func (d *deflater) cutTokens(tokens []token, splitChunk, splitSpan int) []int {
	d.planOK = false
	nc := (len(tokens) + splitChunk - 1) / splitChunk
	if nc <= 1 {
		d.ends = append(d.ends[:0], len(tokens))
		return d.ends
	}
	// Each chunk's symbol counts, sparse: sym (lit/len 0-285, distance
	// 286-315) and count.
	d.sparse = d.sparse[:0]
	d.sparseAt = append(d.sparseAt[:0], 0)
	if cap(d.chunkExtra) < nc {
		d.chunkExtra = make([]int, nc)
	}
	extra := d.chunkExtra[:nc]
	var h hist
	for c := 0; c < nc; c++ {
		h = hist{}
		for _, t := range tokens[c*splitChunk : min(len(tokens), (c+1)*splitChunk)] {
			h.add(t)
		}
		for sym, f := range h.lit {
			if f > 0 {
				d.sparse = append(d.sparse, symCount{uint16(sym), f})
			}
		}
		for sym, f := range h.dist {
			if f > 0 {
				d.sparse = append(d.sparse, symCount{uint16(dfNumLitLen + sym), f})
			}
		}
		d.sparseAt = append(d.sparseAt, int32(len(d.sparse)))
		extra[c] = h.extra
	}
	// cost[e] is the best estimate for chunks [0,e); from[e] where its
	// last block starts. A block's estimate is the entropy of its
	// literal/length and distance symbols (kept up to date chunk by
	// chunk as the block grows backwards), their extra bits, and about
	// 4.5 header bits per symbol used.
	if cap(d.splitCost) < nc+1 {
		d.splitCost = make([]float64, nc+1)
		d.splitFrom = make([]int32, nc+1)
	}
	cost, from := d.splitCost[:nc+1], d.splitFrom[:nc+1]
	cost[0] = 0
	var cnt [dfNumLitLen + dfNumDist]int32
	for e := 1; e <= nc; e++ {
		cost[e] = math.Inf(1)
		clear(cnt[:])
		totLit, totDist, nnz, ext := 1, 0, 1, 0 // the end-of-block symbol
		sumLit, sumDist := 0.0, 0.0
		for s := e - 1; s >= 0 && s >= e-splitSpan; s-- {
			for _, sc := range d.sparse[d.sparseAt[s]:d.sparseAt[s+1]] {
				f := cnt[sc.sym]
				g := f + sc.n
				cnt[sc.sym] = g
				delta := fLog2(int(g)) - fLog2(int(f))
				if sc.sym < dfNumLitLen {
					sumLit += delta
					totLit += int(sc.n)
				} else {
					sumDist += delta
					totDist += int(sc.n)
				}
				if f == 0 {
					nnz++
				}
			}
			ext += extra[s]
			est := fLog2(totLit) - sumLit + fLog2(totDist) - sumDist + float64(ext) + 4.5*float64(nnz) + 17
			if c := cost[s] + est; c < cost[e] {
				cost[e], from[e] = c, int32(s)
			}
		}
	}
	// Walk back to collect the cuts, then put them front to back.
	ends := d.ends[:0]
	for e := nc; e > 0; e = int(from[e]) {
		ends = append(ends, min(len(tokens), e*splitChunk))
	}
	for x, y := 0, len(ends)-1; x < y; x, y = x+1, y-1 {
		ends[x], ends[y] = ends[y], ends[x]
	}
	// The estimate is rough for small blocks: merge neighbours, front to
	// back, wherever one block codes smaller by the exact count.
	// The plans of the blocks that remain are kept for writeBlock.
	if len(ends) > 1 {
		merged := ends[:0]
		plans := d.plans[:0]
		var curPlan, nextPlan, bothPlan blockPlan
		start, cur := 0, ends[0]
		curBits := d.planBits(tokens[start:cur], &curPlan)
		for _, next := range ends[1:] {
			nextBits := d.planBits(tokens[cur:next], &nextPlan)
			if both := d.planBits(tokens[start:next], &bothPlan); both <= curBits+nextBits {
				cur, curBits = next, both
				curPlan = bothPlan
				continue
			}
			merged = append(merged, cur)
			plans = append(plans, curPlan)
			start, cur, curBits = cur, next, nextBits
			curPlan = nextPlan
		}
		ends = append(merged, cur)
		d.plans = append(plans, curPlan)
		d.planOK = true
	}
	d.ends = ends
	return ends
}
