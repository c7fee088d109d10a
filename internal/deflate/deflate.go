package deflate

// A DEFLATE (RFC 1951) compressor for gzip'd user data. compress/flate's
// best level looks for matches of four bytes and more only; zlib (and so
// `gzip -9`) also uses three-byte matches and comes out a few bytes
// smaller on user data, where every byte counts against 16384. This
// encoder follows zlib's level-9 strategy (hash chains up to 4096 long,
// lazy matching, three-byte matches only when near) and codes each block
// with optimal length-limited Huffman codes, choosing dynamic, fixed or
// stored per block like zlib.

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

const (
	dfWindow      = 1 << 15
	dfWMask       = dfWindow - 1
	dfMinMatch    = 3
	dfMaxMatch    = 258
	dfHashBits    = 15
	dfTooFar      = 4096
	dfSegmentSyms = 1 << 16 // symbols split into blocks at a time
	dfEOB         = 256
	dfNumLitLen   = 286
	dfNumDist     = 30
	dfMaxBits     = 15
	dfMaxBitsCL   = 7
	dfStoredMax   = 65535
	dfLengthBase  = 257
)

// Match-finding parameters: zlib's level 9 (configuration_table in
// deflate.c: good 32, lazy 258, nice 258, chain 4096), the effort
// `gzip -9` makes, at every input size. (An earlier version lowered the
// lazy limit above 16 KiB and came out larger than gzip -9 there.)
const (
	dfMaxChain = 4096
	dfGoodLen  = 32
	dfNiceLen  = 258
	dfMaxLazy  = 258
	// Skip-ahead looks at every offset of a match up to dfSkipScan,
	// then every eighth and the last (skipNext).
	dfSkipScan = 32
)

// token is a literal (dist == 0) or a match.
type token struct {
	length uint16 // literal byte, or match length
	dist   uint16
}

var (
	lengthCode  [dfMaxMatch + 1]uint16 // length -> code 257..285
	lengthBase  [29]uint16
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    [30]uint16
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder     = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func init() {
	l := uint16(3)
	for c := 0; c < 28; c++ {
		lengthBase[c] = l
		for i := 0; i < 1<<lengthExtra[c]; i++ {
			lengthCode[l] = uint16(dfLengthBase + c)
			l++
		}
	}
	lengthBase[28] = 258
	lengthCode[258] = 285
	d := uint16(1)
	for c := 0; c < 30; c++ {
		distBase[c] = d
		d += 1 << distExtra[c]
	}
	for c := 0; c < 30; c++ {
		for dd := int(distBase[c]); dd < int(distBase[c])+1<<distExtra[c]; dd++ {
			if dd <= 256 {
				distCodeSmall[dd-1] = uint8(c)
			} else if (dd-1)&127 == 0 {
				distCodeLarge[(dd-1)>>7] = uint8(c)
			}
		}
	}
}

// distCodeSmall and distCodeLarge map distances to codes: distances up
// to 256 directly, larger ones by (d-1)>>7, as zlib does.
var distCodeSmall, distCodeLarge [256]uint8

func distCode(d uint16) int {
	if d <= 256 {
		return int(distCodeSmall[d-1])
	}
	return int(distCodeLarge[(d-1)>>7])
}

// deflater holds the reusable state of one compression.
type deflater struct {
	// head and prev hold positions plus base: entries below base are from
	// earlier inputs, so a new input needs no clearing of head.
	head    [1 << dfHashBits]int32
	base    int32
	lastLen int
	// prev links each position p of the window to the previous one
	// with the same hash: prev[p&dfWMask] is the distance back to it,
	// 0 when there is none within the window. 64 KiB, so that walking
	// a chain stays in cache.
	prev   [dfWindow]uint16
	tokens []token
	cl     []clSym
	// plans[k] is the plan of the k-th block of ends, when cutTokens
	// made one (planOK); writeBlocksSplit passes it to writeBlock.
	plans  []blockPlan
	planOK bool
	// Block splitting state (split.go).
	sparse     []symCount
	sparseAt   []int32
	chunkExtra []int
	splitCost  []float64
	splitFrom  []int32
	ends       []int
	bw         bitWriter
	// Max mode (max.go): the match frontier of every position.
	record   bool
	frontier []uint32
	max      *maxState
}

func dfHash(b []byte, i int) uint32 {
	return (uint32(b[i])<<10 ^ uint32(b[i+1])<<5 ^ uint32(b[i+2])) & (1<<dfHashBits - 1)
}

// longestMatch finds the longest earlier match for position i, which
// must have been inserted.
func (d *deflater) longestMatch(in []byte, i, prevLen int) (length, dist int) {
	chain := dfMaxChain
	if prevLen >= dfGoodLen {
		chain >>= 2
	}
	maxLen := min(dfMaxMatch, len(in)-i)
	if maxLen < dfMinMatch {
		return 0, 0
	}
	best := prevLen
	limit := i - dfWindow
	// The walk follows the hash chain of position i+off, whose entries
	// p stand for the candidates p-off. It starts on i's own chain.
	// insert(i) has linked i to the previous position with its hash.
	off := 0
	d0 := int(d.prev[i&dfWMask])
	if d0 == 0 {
		return 0, 0
	}
	cand := i - d0
	// A candidate that beats prevLen (a lazy search) has the three bytes
	// at i+k for every k <= prevLen-2, so c+k is on the hash chain of
	// i+k, when c+k < i (only positions before i are inserted). The walk
	// then starts on the chain of the k whose latest entry lies furthest
	// back, after the candidates nearer than k on i's own chain. On
	// repetitive text this skips the many candidates that match, but not
	// longer than, the match just found.
	if best >= maxLen {
		return 0, 0
	}
	if prevLen >= dfMinMatch {
		kmax := min(prevLen+1-dfMinMatch, len(in)-dfMinMatch-i)
		bestK, bestP := 0, cand
		for k := 1; k <= kmax; k = skipNext(k, kmax) {
			p := -1
			if v := d.head[dfHash(in, i+k)]; v >= d.base {
				p = int(v-d.base) - k
			}
			if p < bestP {
				bestP, bestK = p, k
			}
		}
		if bestK > 0 {
			// Candidates at distance bestK or less, on i's own chain.
			for cand >= i-bestK && cand >= 0 && chain > 0 {
				chain--
				// A candidate that beats best matches the four bytes ending at
				// best: one 32-bit compare rejects most that cannot.
				if (best < 3 || tail4(in, cand, i, best)) && in[cand+best] == in[i+best] && in[cand] == in[i] {
					if n := matchLen(in[cand:cand+maxLen], in[i:i+maxLen]); n > best {
						best, length, dist = n, n, i-cand
						if n >= dfNiceLen || n >= maxLen {
							return d.matchResult(length, dist)
						}
					}
				}
				dp := int(d.prev[cand&dfWMask])
				if dp == 0 {
					break
				}
				cand -= dp
			}
			cand, off = bestP, bestK
		}
	}
	// A candidate below 0 or the window, or a chain that ends, means
	// there is none left.
	for cand > limit && cand >= 0 && chain > 0 {
		chain--
		p := cand + off
		dp := int(d.prev[p&dfWMask])
		ended := dp == 0
		next := p - dp - off
		if best >= maxLen {
			break
		}
		// A candidate that beats best matches the four bytes ending at
		// best: one 32-bit compare rejects most that cannot.
		if (best < 3 || tail4(in, cand, i, best)) && in[cand+best] == in[i+best] && in[cand] == in[i] {
			n := matchLen(in[cand:cand+maxLen], in[i:i+maxLen])
			if n > best {
				best, length, dist = n, n, i-cand
				if d.record {
					d.frontier = append(d.frontier, uint32(n)<<16|uint32(i-cand))
				}
				if n >= dfNiceLen || n >= maxLen {
					break
				}
			}
			// Skip ahead: a later candidate c that beats best (> n)
			// has the three bytes at i+k for every k <= n-3, as cand
			// does, so c+k is on the hash chain of cand+k, at or
			// before the position that one links to. Walking on from
			// there, on the chain of offset k, skips only candidates
			// that cannot win; the k whose chain goes furthest back is
			// taken, and when one of these chains ends, no candidate
			// is left. Max mode's frontier search gains from it on
			// repetitive text; the default mode's searches, where the
			// lazy scan above does most of the skipping, are about 10 %
			// faster without it (same matches).
			kmax := 0
			if d.record {
				kmax = min(n-dfMinMatch, i-1-cand)
			}
			for k := 1; k <= kmax; k = skipNext(k, kmax) {
				q := cand + k
				dq := int(d.prev[q&dfWMask])
				if dq == 0 {
					return d.matchResult(length, dist)
				}
				if w := q - dq - k; w < next {
					next, off = w, k
				}
			}
		}
		if ended {
			break
		}
		cand = next
	}
	return d.matchResult(length, dist)
}

// skipNext is the offset after k that skip-ahead looks at: every one up
// to dfSkipScan, then every eighth, and kmax, so that a long match is
// scanned to its end in a few dozen lookups.
func skipNext(k, kmax int) int {
	if k < dfSkipScan || k == kmax {
		return k + 1
	}
	// The last offset, whose trigram ends where the match does, is
	// always looked at: past a match's end, repeated text differs.
	return min(k+8, kmax)
}

func (d *deflater) matchResult(length, dist int) (int, int) {
	if length < dfMinMatch {
		return 0, 0
	}
	return length, dist
}

// tail4 reports whether the four bytes ending at offset best of a and b
// are equal (best >= 3).
func tail4(in []byte, a, b, best int) bool {
	return binary.LittleEndian.Uint32(in[a+best-3:]) == binary.LittleEndian.Uint32(in[b+best-3:])
}

// matchLen returns the length of the common prefix of a and b, which
// have the same length, comparing eight bytes at a time.
func matchLen(a, b []byte) int {
	n := 0
	for len(a)-n >= 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(a) && a[n] == b[n] {
		n++
	}
	return n
}

func (d *deflater) insert(in []byte, i int) {
	if i+dfMinMatch > len(in) {
		return
	}
	h := dfHash(in, i)
	link := 0
	if v := d.head[h]; v >= d.base {
		if dd := i - int(v-d.base); dd < dfWindow {
			link = dd
		}
	}
	d.prev[i&dfWMask] = uint16(link)
	d.head[h] = d.base + int32(i)
}

// insertRange inserts the positions from..to-1, as insert does one by
// one, with zlib's rolling hash.
func (d *deflater) insertRange(in []byte, from, to int) {
	to = min(to, len(in)-dfMinMatch+1)
	if from >= to {
		return
	}
	base := d.base
	h := uint32(in[from])<<5 ^ uint32(in[from+1])
	for j := from; j < to; j++ {
		h = (h<<5 ^ uint32(in[j+2])) & (1<<dfHashBits - 1)
		link := 0
		if v := d.head[h]; v >= base {
			if dd := j - int(v-base); dd < dfWindow {
				link = dd
			}
		}
		d.prev[j&dfWMask] = uint16(link)
		d.head[h] = base + int32(j)
	}
}

// reset prepares the match finder for in and the bit writer for dst.
func (d *deflater) reset(dst, in []byte) {
	// Start past every position stored for the previous input.
	if d.base == 0 || int64(d.base)+int64(d.lastLen)+int64(len(in))+1 >= 1<<31-1 {
		clear(d.head[:])
		d.base = 1
	} else {
		d.base += int32(d.lastLen) + 1
	}
	d.lastLen = len(in)
	d.tokens = d.tokens[:0]
	d.bw = bitWriter{out: dst}
}

// compress appends the raw DEFLATE stream of in to dst.
func (d *deflater) compress(dst, in []byte) []byte {
	d.reset(dst, in)
	d.parseLazy(in, true)
	d.bw.flush()
	return d.bw.out
}

// compressTokens returns the default mode's tokens for in, unwritten.
func (d *deflater) compressTokens(in []byte) []token {
	d.parseLazy(in, false)
	return d.tokens
}

// parseLazy parses in with zlib's lazy matching into d.tokens; with
// write, it writes blocks as it goes and the final block at the end.
func (d *deflater) parseLazy(in []byte, write bool) {

	maxLazy := dfMaxLazy
	// The tokens are appended to a local slice (kept in registers, no
	// write barrier per token) and stored back before blocks are
	// written.
	tokens := d.tokens
	// zlib's deflate_slow: lazy evaluation of matches.
	prevLen, prevDist := dfMinMatch-1, 0
	matchAvailable := false
	blockStart := 0
	for i := 0; i < len(in); {
		d.insert(in, i)
		curLen, curDist := dfMinMatch-1, 0
		if i+dfMinMatch <= len(in) && prevLen < maxLazy {
			if l, dd := d.longestMatch(in, i, prevLen); l > 0 {
				curLen, curDist = l, dd
				if curLen == dfMinMatch && curDist > dfTooFar {
					curLen = dfMinMatch - 1
				}
			}
		}
		if prevLen >= dfMinMatch && curLen <= prevLen {
			tokens = append(tokens, token{uint16(prevLen), uint16(prevDist)})
			// Insert the strings of the match not inserted yet.
			end := i - 1 + prevLen
			d.insertRange(in, i+1, end)
			i = end
			matchAvailable = false
			prevLen = dfMinMatch - 1
		} else {
			if matchAvailable {
				tokens = append(tokens, token{uint16(in[i-1]), 0})
			}
			matchAvailable = true
			prevLen, prevDist = curLen, curDist
			i++
		}
		if write && len(tokens) >= dfSegmentSyms {
			pos := i
			if matchAvailable {
				pos = i - 1
			}
			d.tokens = tokens
			d.writeBlocks(in[blockStart:pos], false)
			tokens = d.tokens
			blockStart = pos
		}
	}
	if matchAvailable {
		tokens = append(tokens, token{uint16(in[len(in)-1]), 0})
	}
	d.tokens = tokens
	if write {
		d.writeBlocks(in[blockStart:], true)
	}
}

// blockPlan is a dynamic block's code for some tokens and its size.
type blockPlan struct {
	litLen             [dfNumLitLen]uint8
	distLen            [dfNumDist]uint8
	clLen              [19]uint8
	hlit, hdist, hclen int
	dynBits, fixBits   int
}

// plan computes the dynamic code of tokens, the dynamic and the fixed
// block's size in bits, and leaves the run-length coded code lengths in
// d.cl.
func (d *deflater) plan(tokens []token, p *blockPlan) {
	var litFreq [dfNumLitLen]int
	var distFreq [dfNumDist]int
	for _, t := range tokens {
		if t.dist == 0 {
			litFreq[t.length]++
		} else {
			litFreq[lengthCode[t.length]]++
			distFreq[distCode(t.dist)]++
		}
	}
	litFreq[dfEOB]++
	litLen, distLen := &p.litLen, &p.distLen
	huffmanLengths(litFreq[:], litLen[:], dfMaxBits)
	huffmanLengths(distFreq[:], distLen[:], dfMaxBits)
	// A distance tree needs at least one code (zlib gives two).
	nd := 0
	for _, l := range distLen {
		if l > 0 {
			nd++
		}
	}
	if nd < 2 {
		for i := 0; i < dfNumDist && nd < 2; i++ {
			if distLen[i] == 0 {
				distLen[i] = 1
				nd++
			}
		}
		// Two codes of length 1 form a complete code.
		for i := range distLen {
			if distLen[i] > 1 {
				distLen[i] = 1
			}
		}
	}
	hlit := dfNumLitLen
	for hlit > 257 && litLen[hlit-1] == 0 {
		hlit--
	}
	hdist := dfNumDist
	for hdist > 1 && distLen[hdist-1] == 0 {
		hdist--
	}
	// Run-length encode the code lengths.
	var all [dfNumLitLen + dfNumDist]uint8
	n := copy(all[:], litLen[:hlit])
	n += copy(all[n:], distLen[:hdist])
	d.cl = rleLengths(d.cl, all[:n])
	var clFreq [19]int
	for _, c := range d.cl {
		clFreq[c.sym]++
	}
	huffmanLengths(clFreq[:], p.clLen[:], dfMaxBitsCL)
	hclen := 19
	for hclen > 4 && p.clLen[clOrder[hclen-1]] == 0 {
		hclen--
	}
	p.hlit, p.hdist, p.hclen = hlit, hdist, hclen
	dyn := 3 + 5 + 5 + 4 + 3*hclen + int(litLen[dfEOB])
	fix := 3 + int(fixedLitLen[dfEOB])
	for _, c := range d.cl {
		dyn += int(p.clLen[c.sym]) + int(c.extraBits)
	}
	for s, f := range litFreq[:dfEOB] {
		dyn += f * int(litLen[s])
		fix += f * int(fixedLitLen[s])
	}
	for s := dfLengthBase; s < dfNumLitLen; s++ {
		if f := litFreq[s]; f > 0 {
			e := int(lengthExtra[s-dfLengthBase])
			dyn += f * (int(litLen[s]) + e)
			fix += f * (int(fixedLitLen[s]) + e)
		}
	}
	for s, f := range distFreq {
		if f > 0 {
			dyn += f * (int(distLen[s]) + int(distExtra[s]))
			fix += f * (int(fixedDistLen[s]) + int(distExtra[s]))
		}
	}
	p.dynBits, p.fixBits = dyn, fix
}

// dynamicBits is the size in bits of tokens as the smaller of a dynamic
// and a fixed block.
func (d *deflater) dynamicBits(tokens []token) int {
	var p blockPlan
	return d.planBits(tokens, &p)
}

// planBits is dynamicBits, leaving the plan in p.
func (d *deflater) planBits(tokens []token, p *blockPlan) int {
	d.plan(tokens, p)
	return min(p.dynBits, p.fixBits)
}

// writeBlock writes tokens (which code raw) as the smallest of a dynamic,
// fixed or stored block.
//
// planned, when not nil, is the plan of exactly these tokens, made by
// cutTokens: it is used instead of planning them again (only the
// run-length coded code lengths, in d.cl, are redone from it).
func (d *deflater) writeBlock(tokens []token, raw []byte, final bool, planned *blockPlan) {
	var p blockPlan
	if planned != nil {
		p = *planned
		var all [dfNumLitLen + dfNumDist]uint8
		n := copy(all[:], p.litLen[:p.hlit])
		n += copy(all[n:], p.distLen[:p.hdist])
		d.cl = rleLengths(d.cl, all[:n])
	} else {
		d.plan(tokens, &p)
	}
	dynBits, fixBits := p.dynBits, p.fixBits
	storedBits := -1
	if len(raw) <= dfStoredMax {
		storedBits = 3 + (8-(int(d.bw.nbits)+3)%8)%8 + 32 + 8*len(raw)
	}

	var lastBit uint64
	if final {
		lastBit = 1
	}
	switch {
	case storedBits >= 0 && storedBits < dynBits && storedBits < fixBits:
		d.bw.write(lastBit, 3) // BTYPE 00
		d.bw.alignByte()
		d.bw.write(uint64(len(raw)), 16)
		d.bw.write(uint64(^uint16(len(raw))), 16)
		d.bw.flush()
		d.bw.out = append(d.bw.out, raw...)
	case fixBits <= dynBits:
		d.bw.write(lastBit|1<<1, 3)
		d.writeTokens(tokens, fixedLitLen[:], fixedDistLen[:])
	default:
		d.bw.write(lastBit|2<<1, 3)
		d.bw.write(uint64(p.hlit-257), 5)
		d.bw.write(uint64(p.hdist-1), 5)
		d.bw.write(uint64(p.hclen-4), 4)
		for i := 0; i < p.hclen; i++ {
			d.bw.write(uint64(p.clLen[clOrder[i]]), 3)
		}
		var clCodes [19]uint16
		canonicalCodes(clCodes[:], p.clLen[:])
		for _, c := range d.cl {
			d.bw.write(uint64(clCodes[c.sym]), uint(p.clLen[c.sym]))
			if c.extraBits > 0 {
				d.bw.write(uint64(c.extra), uint(c.extraBits))
			}
		}
		d.writeTokens(tokens, p.litLen[:], p.distLen[:])
	}
}

func (d *deflater) writeTokens(tokens []token, ll, dl []uint8) {
	var lcBuf [288]uint16
	var dcBuf [dfNumDist]uint16
	lc, dc := lcBuf[:len(ll)], dcBuf[:len(dl)]
	canonicalCodes(lc, ll)
	canonicalCodes(dc, dl)
	// A local copy of the bit writer: no write barrier per flush.
	bw := d.bw
	for _, t := range tokens {
		if t.dist == 0 {
			bw.write(uint64(lc[t.length]), uint(ll[t.length]))
			continue
		}
		// Each code with its extra bits in one write.
		l := lengthCode[t.length]
		n := uint(ll[l])
		bw.write(uint64(lc[l])|uint64(t.length-lengthBase[l-dfLengthBase])<<n, n+uint(lengthExtra[l-dfLengthBase]))
		c := distCode(t.dist)
		n = uint(dl[c])
		bw.write(uint64(dc[c])|uint64(t.dist-distBase[c])<<n, n+uint(distExtra[c]))
	}
	bw.write(uint64(lc[dfEOB]), uint(ll[dfEOB]))
	d.bw = bw
}

var fixedLitLen, fixedDistLen = func() (ll [288]uint8, dl [30]uint8) {
	for i := range ll {
		switch {
		case i < 144:
			ll[i] = 8
		case i < 256:
			ll[i] = 9
		case i < 280:
			ll[i] = 7
		default:
			ll[i] = 8
		}
	}
	for i := range dl {
		dl[i] = 5
	}
	return
}()

type clSym struct {
	sym       uint8
	extra     uint8
	extraBits uint8
}

// rleLengths encodes code lengths with the code-length alphabet (16:
// repeat previous 3-6, 17: zeros 3-10, 18: zeros 11-138), as zlib does.
func rleLengths(out []clSym, lens []uint8) []clSym {
	out = out[:0]
	for i := 0; i < len(lens); {
		l := lens[i]
		run := 1
		for i+run < len(lens) && lens[i+run] == l {
			run++
		}
		i += run
		if l == 0 {
			for run >= 11 {
				n := min(run, 138)
				out = append(out, clSym{18, uint8(n - 11), 7})
				run -= n
			}
			if run >= 3 {
				out = append(out, clSym{17, uint8(run - 3), 3})
				run = 0
			}
			for ; run > 0; run-- {
				out = append(out, clSym{0, 0, 0})
			}
			continue
		}
		out = append(out, clSym{l, 0, 0})
		run--
		for run >= 3 {
			n := min(run, 6)
			out = append(out, clSym{16, uint8(n - 3), 2})
			run -= n
		}
		for ; run > 0; run-- {
			out = append(out, clSym{l, 0, 0})
		}
	}
	return out
}

// huffmanLengths sets lens to minimum-redundancy code lengths for freq
// (Moffat and Katajainen's in-place algorithm); where that code is deeper
// than maxBits, to the optimal code no deeper than maxBits
// (package-merge).
func huffmanLengths(freq []int, lens []uint8, maxBits int) {
	// Leaves sort by weight, then symbol: packed into one key each, so
	// the sort compares plain integers.
	var buf [dfNumLitLen]uint64
	leaves := buf[:0]
	for s, f := range freq {
		lens[s] = 0
		if f > 0 {
			leaves = append(leaves, uint64(f)<<16|uint64(s))
		}
	}
	n := len(leaves)
	switch n {
	case 0:
		return
	case 1:
		lens[leaves[0]&0xffff] = 1
		return
	}
	slices.Sort(leaves)
	var abuf [dfNumLitLen]int
	A := abuf[:n]
	for i, l := range leaves {
		A[i] = int(l >> 16)
	}
	A[0] += A[1]
	root, lf := 0, 2
	for next := 1; next < n-1; next++ {
		if lf >= n || A[root] < A[lf] {
			A[next] = A[root]
			A[root] = next
			root++
		} else {
			A[next] = A[lf]
			lf++
		}
		if lf >= n || (root < next && A[root] < A[lf]) {
			A[next] += A[root]
			A[root] = next
			root++
		} else {
			A[next] += A[lf]
			lf++
		}
	}
	A[n-2] = 0
	for next := n - 3; next >= 0; next-- {
		A[next] = A[A[next]] + 1
	}
	avail, used, depth := 1, 0, 0
	root, next := n-2, n-1
	for avail > 0 {
		for root >= 0 && A[root] == depth {
			used++
			root--
		}
		for avail > used {
			A[next] = depth
			next--
			avail--
		}
		avail, depth, used = 2*used, depth+1, 0
	}
	// Count leaves per length; A is now non-increasing.
	var count [64]int
	maxLen := 0
	for _, l := range A {
		count[l]++
		maxLen = max(maxLen, l)
	}
	if maxLen > maxBits {
		// Too deep: the optimal code under the limit, by package-merge.
		var w [dfNumLitLen]int64
		for i, l := range leaves {
			w[i] = int64(l >> 16)
		}
		var pl [dfNumLitLen]uint8
		packageMerge(w[:n], pl[:n], maxBits)
		for i, l := range leaves {
			lens[l&0xffff] = pl[i]
		}
		return
	}
	// The heaviest leaves (at the end of leaves) get the shortest codes.
	k := n - 1
	for l := 1; l <= maxBits; l++ {
		for c := count[l]; c > 0; c-- {
			lens[leaves[k]&0xffff] = uint8(l)
			k--
		}
	}
}

// packageMerge sets lens[i] to the optimal code lengths of at most
// maxBits bits for the weights w, which are sorted in increasing order,
// 2 <= len(w) <= 2^maxBits (Larmore and Hirschberg's package-merge).
//
// The list of level maxBits is the leaves; the list of each level above
// merges the leaves with the pairs (packages) of the list below, in
// increasing weight, leaves first on ties. The first 2n-2 items of the
// top list are the solution: a package taken at one level takes the two
// items it packs from the level below, and since packages and leaves are
// both taken in weight order, what a level contributes is its first K
// items: its lightest K-P leaves, and the first 2P items below. Each leaf
// gets one bit per level that takes it.
func packageMerge(w []int64, lens []uint8, maxBits int) {
	n := len(w)
	const maxItems = 2 * dfNumLitLen
	var bufA, bufB [maxItems]int64
	// pkgs[j][k]: packages among the first k items of level j's list.
	var pkgs [dfMaxBits + 1][maxItems + 1]int16
	prev := bufA[:n]
	copy(prev, w)
	for j := maxBits - 1; j >= 1; j-- {
		cur := bufB[:0]
		np := len(prev) / 2
		li, pi := 0, 0
		cnt := &pkgs[j]
		for li < n || pi < np {
			if pi >= np || (li < n && w[li] <= prev[2*pi]+prev[2*pi+1]) {
				cur = append(cur, w[li])
				li++
				cnt[len(cur)] = cnt[len(cur)-1]
			} else {
				cur = append(cur, prev[2*pi]+prev[2*pi+1])
				pi++
				cnt[len(cur)] = cnt[len(cur)-1] + 1
			}
		}
		bufA, bufB = bufB, bufA
		prev = bufA[:len(cur)]
	}
	for i := range lens {
		lens[i] = 0
	}
	k := 2*n - 2
	for j := 1; j <= maxBits; j++ {
		p := 0
		if j < maxBits {
			p = int(pkgs[j][k])
		}
		for i := 0; i < k-p; i++ {
			lens[i]++
		}
		k = 2 * p
	}
}

// canonicalCodes gives the canonical Huffman codes for lens, bit-reversed
// for DEFLATE's LSB-first bit order.
func canonicalCodes(codes []uint16, lens []uint8) {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]int
	code := 0
	for b := 1; b < 16; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		// Reverse l bits.
		codes[s] = bits.Reverse16(uint16(c)) >> (16 - l)
	}
}

// bitWriter writes DEFLATE's LSB-first bit stream.
type bitWriter struct {
	out   []byte
	bits  uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	// n is at most 32 and fewer than 32 bits are pending: four whole
	// bytes go out at once. (A length or distance code and its extra
	// bits are at most 28 bits, written at once by writeTokens.)
	w.bits |= v << w.nbits
	w.nbits += n
	if w.nbits >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.bits))
		w.bits >>= 32
		w.nbits -= 32
	}
}

// alignByte pads with zero bits to a byte boundary and writes out every
// pending byte.
func (w *bitWriter) alignByte() {
	if r := w.nbits % 8; r != 0 {
		w.nbits += 8 - r
	}
	for w.nbits > 0 {
		w.out = append(w.out, byte(w.bits))
		w.bits >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) flush() {
	w.alignByte()
}
