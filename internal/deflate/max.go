package deflate

import (
	"math"
)

// Max mode: optimal parsing in the manner of zopfli's squeeze. Every
// position's match frontier (for each match length, the nearest distance
// that gives it, as the pairs where the length grows) is found once; then
// each block, as the default mode's parse cuts the input, is parsed as a
// shortest path under a cost model taken from the symbol statistics of
// the previous parse, maxIterations times, keeping the smallest. The
// blocks are finally cut again over the optimal tokens and written with
// optimal length-limited Huffman codes. The result is deterministic: no
// randomness, no time limits.

// maxIterations is how many cost-model rounds each block gets.
const maxIterations = 10

// Max mode's block splitting grid: chunks of maxChunk tokens (coarser
// when there would be more than maxChunks of them, so the work stays
// linear), blocks of at most maxSpan chunks. Much finer than the default
// mode's: on repetitive documents (the 60 KB bundle, generated
// cloud-configs) a 128-token grid left max mode 2 % over zopfli, an
// 8-token one 0.7 %.
const maxChunk, maxSpan, maxChunks = 8, 512, 512

type maxState struct {
	fStart    []int32   // fStart[i]..fStart[i+1]: frontier of position i in frontier
	cost      []float32 // shortest-path cost to each position of a block
	choice    []uint32  // the step that reaches it: length<<16|dist, or 1<<16|0 for a literal
	best      []token
	cur       []token
	all       []token
	bounds    []int   // block starts and the end, in input positions
	first     []token // the default parse
	firstEnds []int   // its blocks' ends, as token indices
}

// findFrontiers fills d.frontier and m.fStart for every position of in.
func (d *deflater) findFrontiers(in []byte, m *maxState) {
	d.frontier = d.frontier[:0]
	m.fStart = append(m.fStart[:0], 0)
	d.record = true
	for i := 0; i < len(in); i++ {
		d.insert(in, i)
		if i+dfMinMatch <= len(in) {
			d.longestMatch(in, i, dfMinMatch-1)
		}
		m.fStart = append(m.fStart, int32(len(d.frontier)))
	}
	d.record = false
}

// costModel gives the bits of each literal/length and distance symbol
// from symbol counts, as zopfli does: -log2(count/total), a count of 0
// taken as 1.
type costModel struct {
	lit  [dfNumLitLen]float32
	dist [dfNumDist]float32
	ln   [dfMaxMatch + 1]float32 // length symbol plus extra bits
}

func (c *costModel) set(h *hist) {
	set := func(out []float32, freq []int32, eob int) {
		total := eob
		for _, f := range freq {
			total += int(f)
		}
		lt := math.Log2(float64(max(total, 1)))
		for s, f := range freq {
			if s == dfEOB && eob > 0 {
				f += int32(eob)
			}
			out[s] = float32(lt - math.Log2(float64(max(f, 1))))
		}
	}
	set(c.lit[:], h.lit[:], 1)
	set(c.dist[:], h.dist[:], 0)
	for l := dfMinMatch; l <= dfMaxMatch; l++ {
		lc := lengthCode[l]
		c.ln[l] = c.lit[lc] + float32(lengthExtra[lc-dfLengthBase])
	}
}

// squeeze parses in[a:b] as the cheapest path under c and appends the
// tokens to out.
func (d *deflater) squeeze(in []byte, a, b int, c *costModel, m *maxState, out []token) []token {
	n := b - a
	if cap(m.cost) < n+1 {
		m.cost = make([]float32, n+1)
		m.choice = make([]uint32, n+1)
	}
	cost, choice := m.cost[:n+1], m.choice[:n+1]
	inf := float32(math.Inf(1))
	for k := range cost {
		cost[k] = inf
	}
	cost[0] = 0
	var distCost [dfNumDist]float32
	for dc := range distCost {
		distCost[dc] = c.dist[dc] + float32(distExtra[dc])
	}
	for k := 0; k < n; k++ {
		base := cost[k]
		i := a + k
		if lc := base + c.lit[in[i]]; lc < cost[k+1] {
			cost[k+1], choice[k+1] = lc, 1<<16
		}
		l := dfMinMatch
		lim := n - k
		fr := d.frontier[m.fStart[i]:m.fStart[i+1]]
		// In a long repetition (a 258-byte match here and at the position
		// before, same distance) the shorter lengths reach nothing that
		// the previous position's longer ones did not: only 258 is tried,
		// which keeps runs linear, as zopfli's long-repetition shortcut.
		if len(fr) > 0 && fr[len(fr)-1]>>16 == dfMaxMatch && lim >= dfMaxMatch && i > 0 {
			if pf := d.frontier[m.fStart[i-1]:m.fStart[i]]; len(pf) > 0 && pf[len(pf)-1] == fr[len(fr)-1] {
				f := fr[len(fr)-1]
				dist := f & 0xffff
				if v := base + distCost[distCode(uint16(dist))] + c.ln[dfMaxMatch]; v < cost[k+dfMaxMatch] {
					cost[k+dfMaxMatch], choice[k+dfMaxMatch] = v, uint32(dfMaxMatch)<<16|dist
				}
				continue
			}
		}
		for _, f := range fr {
			L, dist := int(f>>16), f&0xffff
			dc := base + distCost[distCode(uint16(dist))]
			top := min(L, lim)
			for ; l <= top; l++ {
				if v := dc + c.ln[l]; v < cost[k+l] {
					cost[k+l], choice[k+l] = v, uint32(l)<<16|dist
				}
			}
			if top < L {
				break
			}
		}
	}
	// Walk back from the end, then reverse the steps into tokens.
	start := len(out)
	for k := n; k > 0; {
		ch := choice[k]
		l := int(ch >> 16)
		if ch&0xffff == 0 {
			out = append(out, token{uint16(in[a+k-1]), 0})
			k--
			continue
		}
		out = append(out, token{uint16(l), uint16(ch & 0xffff)})
		k -= l
	}
	for x, y := start, len(out)-1; x < y; x, y = x+1, y-1 {
		out[x], out[y] = out[y], out[x]
	}
	return out
}

// maxChunkFor is the chunk size for splitting n tokens in max mode:
// maxChunk, or coarser for long inputs, so that the splitter's work stays
// bounded per token.
func maxChunkFor(n int) int {
	return max(maxChunk, (n+maxChunks-1)/maxChunks)
}

// compressMax appends the raw DEFLATE stream of in to dst, in max mode.
func (d *deflater) compressMax(dst, in []byte) []byte {
	if d.max == nil {
		d.max = new(maxState)
	}
	m := d.max
	// The default mode's parse and block cuts give the blocks to
	// optimize and their first statistics.
	d.reset(nil, in)
	first := d.compressTokens(in)
	ends := d.cutTokens(first, maxChunkFor(len(first)), maxSpan)
	m.bounds = append(m.bounds[:0], 0)
	m.firstEnds = append(m.firstEnds[:0], ends...)
	start := 0
	for _, e := range ends {
		m.bounds = append(m.bounds, m.bounds[len(m.bounds)-1]+rawLen(first[start:e]))
		start = e
	}
	m.first = append(m.first[:0], first...)

	d.reset(dst, in)
	d.findFrontiers(in, m)
	m.all = m.all[:0]
	var c costModel
	var h hist
	for bi := 0; bi+1 < len(m.bounds); bi++ {
		a, b := m.bounds[bi], m.bounds[bi+1]
		if a == b {
			continue
		}
		// First costs: the default parse of this block.
		h = hist{}
		t0 := 0
		if bi > 0 {
			t0 = m.firstEnds[bi-1]
		}
		for _, t := range m.first[t0:m.firstEnds[bi]] {
			h.add(t)
		}
		bestBits := math.MaxInt
		m.best = m.best[:0]
		for it := 0; it < maxIterations; it++ {
			c.set(&h)
			m.cur = d.squeeze(in, a, b, &c, m, m.cur[:0])
			bits := d.dynamicBits(m.cur)
			if bits < bestBits {
				bestBits = bits
				m.best = append(m.best[:0], m.cur...)
			} else if bits == bestBits {
				break
			}
			h = hist{}
			for _, t := range m.cur {
				h.add(t)
			}
		}
		m.all = append(m.all, m.best...)
	}
	d.tokens = append(d.tokens[:0], m.all...)
	d.writeBlocksSplit(in, true, maxChunkFor(len(d.tokens)), maxSpan)
	d.bw.flush()
	out := d.bw.out
	// On inputs where the cost model gains nothing (random data), the
	// default mode's stream can be a few bytes smaller: take it then.
	if alt := d.compress(nil, in); len(alt) < len(out)-len(dst) {
		out = append(out[:len(dst)], alt...)
	}
	return out
}
