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

// entropyBits is the entropy of freq in bits (plus eob extra symbols of
// count 1) and an estimate of what the code lengths cost in the header.
func entropyBits(freq []int32, eob int) float64 {
	total := eob
	for _, f := range freq {
		total += int(f)
	}
	if total == 0 {
		return 0
	}
	lt := math.Log2(float64(total))
	bits := float64(eob) * lt
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
		bits += float64(f) * (lt - math.Log2(float64(f)))
		hdr += 4
	}
	return bits + hdr
}

// writeBlocks writes tokens (which code raw) as one or more blocks.
func (d *deflater) writeBlocks(raw []byte, final bool) {
	tokens := d.tokens
	nc := (len(tokens) + splitChunk - 1) / splitChunk
	if nc <= 1 {
		d.writeBlock(tokens, raw, final)
		d.tokens = d.tokens[:0]
		return
	}
	if cap(d.chunks) < nc {
		d.chunks = make([]hist, nc)
	}
	chunks := d.chunks[:nc]
	for c := range chunks {
		chunks[c] = hist{}
		for _, t := range tokens[c*splitChunk : min(len(tokens), (c+1)*splitChunk)] {
			chunks[c].add(t)
		}
	}
	// cost[e] is the best estimate for chunks [0,e); from[e] where its
	// last block starts.
	if cap(d.splitCost) < nc+1 {
		d.splitCost = make([]float64, nc+1)
		d.splitFrom = make([]int32, nc+1)
	}
	cost, from := d.splitCost[:nc+1], d.splitFrom[:nc+1]
	cost[0] = 0
	var h hist
	for e := 1; e <= nc; e++ {
		cost[e] = math.Inf(1)
		h = hist{}
		for s := e - 1; s >= 0 && s >= e-splitSpan; s-- {
			h.addHist(&chunks[s])
			if c := cost[s] + h.estimate(); c < cost[e] {
				cost[e], from[e] = c, int32(s)
			}
		}
	}
	// Walk back to collect the cuts, then write front to back.
	cuts := d.cuts[:0]
	for e := nc; e > 0; e = int(from[e]) {
		cuts = append(cuts, int32(e))
	}
	d.cuts = cuts
	start, pos := 0, 0
	for k := len(cuts) - 1; k >= 0; k-- {
		end := min(len(tokens), int(cuts[k])*splitChunk)
		n := 0
		for _, t := range tokens[start:end] {
			if t.dist == 0 {
				n++
			} else {
				n += int(t.length)
			}
		}
		d.writeBlock(tokens[start:end], raw[pos:pos+n], final && k == 0)
		start, pos = end, pos+n
	}
	d.tokens = d.tokens[:0]
}
