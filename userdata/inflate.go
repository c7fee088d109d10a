package userdata

// A DEFLATE decoder and gzip reader with the acceptance rules of the code
// cloud-init runs: Python's gzip module (header, members, zero padding,
// CRC and size checks) over zlib's inflate (complete codes except a
// single-code literal/length or distance code, EOB present, no distance
// beyond the output). compress/flate decodes about a third as fast, and
// decoding speed matters here: Decode must beat cloud-init's own parser by
// two orders of magnitude. The input is all in memory, so the bit reader
// works on a byte slice, and codes up to 10 bits decode with one table
// lookup.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
)

var (
	errInflateEOF = errors.New("compressed data ended before the end-of-stream marker (truncated)")
	errTooLarge   = errors.New("inflates past the limit")
)

const fastBits = 10

// huffman is a canonical Huffman decoding table.
type huffman struct {
	fast    [1 << fastBits]uint16 // sym<<4 | length; 0 when the code is longer
	mask    uint64                // the fast table's index bits: min(max, fastBits)
	minBits int                   // the narrowest fast table build makes
	count   [16]uint16
	symbols [288]uint16
	max     int
}

// build makes the table for lens; it returns false for a code zlib
// rejects. single allows one code of length 1 (zlib allows that
// incomplete code for literal/length and distance codes, not for the
// code-length code).
func (h *huffman) build(lens []uint8, single bool) bool {
	// Four counters per length, so that runs of equal lengths do not
	// wait on each other's increments.
	var c4 [4][16]uint16
	i := 0
	for ; i+4 <= len(lens); i += 4 {
		c4[0][lens[i]&15]++
		c4[1][lens[i+1]&15]++
		c4[2][lens[i+2]&15]++
		c4[3][lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		c4[0][lens[i]&15]++
	}
	for l := range h.count {
		h.count[l] = c4[0][l] + c4[1][l] + c4[2][l] + c4[3][l]
	}
	h.max = 0
	for l := 15; l > 0; l-- {
		if h.count[l] != 0 {
			h.max = l
			break
		}
	}
	// The fast table is only as wide as the longest code: small codes
	// (distances, code lengths) need small tables, quick to fill.
	tb := min(max(h.max, h.minBits, 1), fastBits)
	h.mask = 1<<tb - 1
	if int(h.count[0]) == len(lens) {
		// No codes at all: fine until one is needed.
		clear(h.fast[:1<<tb])
		return true
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left <<= 1
		left -= int(h.count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	if left > 0 && !(single && h.max == 1) {
		return false // incomplete
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	for s, l := range lens {
		if l != 0 {
			h.symbols[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	// Fast table: the codes of length l go into a table of 1<<l entries,
	// which is then doubled (its copy is the same entries with one more
	// bit above); entries of shorter codes are so repeated for every
	// longer index, and the prefixes of codes longer than tb (or missing
	// from an incomplete code) stay 0.
	h.fast[0] = 0
	code, idx, size := 0, 0, 1
	for l := 1; l <= tb; l++ {
		copy(h.fast[size:2*size], h.fast[:size])
		size *= 2
		for i := 0; i < int(h.count[l]); i++ {
			sym := h.symbols[idx]
			idx++
			// Codes are sent MSB first; the bit reader is LSB first.
			h.fast[bits.Reverse16(uint16(code))>>(16-l)] = sym<<4 | uint16(l)
			code++
		}
		code <<= 1
	}
	return true
}

// inflater decodes one raw DEFLATE stream from in, appending to out.
type inflater struct {
	in    []byte
	pos   int
	bits  uint64
	nb    uint
	over  uint // bits taken past the end of the input
	out   []byte
	start int // where this stream's output starts in out
	limit int // the most bytes out may hold
	lit   huffman
	dist  huffman
	cl    huffman
}

func (f *inflater) refill() {
	if f.pos+8 <= len(f.in) {
		// Load eight bytes and keep the whole ones that fit.
		f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nb
		f.pos += int(63-f.nb) >> 3
		f.nb |= 56
		return
	}
	for f.nb <= 56 {
		if f.pos < len(f.in) {
			f.bits |= uint64(f.in[f.pos]) << f.nb
			f.pos++
		} else {
			f.over += 8 // zeros past the end; an error if they are used
		}
		f.nb += 8
	}
}

func (f *inflater) need(n uint) {
	if f.nb < n {
		f.refill()
	}
}

func (f *inflater) take(n uint) uint64 {
	f.need(n)
	v := f.bits & (1<<n - 1)
	f.bits >>= n
	f.nb -= n
	return v
}

// truncated reports whether bits past the end of the input were used.
func (f *inflater) truncated() bool { return f.over > f.nb }

func (f *inflater) decode(h *huffman) (int, error) {
	f.need(15)
	if e := h.fast[f.bits&h.mask]; e != 0 {
		l := uint(e & 15)
		f.bits >>= l
		f.nb -= l
		return int(e >> 4), nil
	}
	// Longer codes: canonical decoding bit by bit (puff's decode).
	code, first, index := 0, 0, 0
	for l := 1; l <= 15; l++ {
		code |= int(f.bits & 1)
		f.bits >>= 1
		f.nb--
		count := int(h.count[l])
		if code-count < first {
			return int(h.symbols[index+(code-first)]), nil
		}
		index += count
		first += count
		first <<= 1
		code <<= 1
	}
	return 0, errors.New("invalid Huffman code")
}

// stream decodes the whole DEFLATE stream.
func (f *inflater) stream() error {
	for {
		final := f.take(1)
		var err error
		switch f.take(2) {
		case 0:
			err = f.stored()
		case 1:
			err = f.codes(&fixedLit, &fixedDist)
		case 2:
			if err = f.dynamic(); err == nil {
				err = f.codes(&f.lit, &f.dist)
			}
		default:
			err = errors.New("invalid block type")
		}
		if err == nil && f.truncated() {
			err = errInflateEOF
		}
		if err != nil {
			return err
		}
		if final == 1 {
			return nil
		}
	}
}

func (f *inflater) stored() error {
	if f.truncated() {
		return errInflateEOF
	}
	// Drop to a byte boundary; whole bytes left in the bit buffer are
	// given back to the input.
	f.bits >>= f.nb % 8
	f.nb -= f.nb % 8
	back := int(f.nb/8) - int(f.over/8)
	f.pos -= back
	f.bits, f.nb, f.over = 0, 0, 0
	if f.pos+4 > len(f.in) {
		return errInflateEOF
	}
	n := int(binary.LittleEndian.Uint16(f.in[f.pos:]))
	if ^uint16(n) != binary.LittleEndian.Uint16(f.in[f.pos+2:]) {
		return errors.New("invalid stored block lengths")
	}
	f.pos += 4
	if f.pos+n > len(f.in) {
		return errInflateEOF
	}
	if len(f.out)+n > f.limit {
		return errTooLarge
	}
	f.out = append(f.out, f.in[f.pos:f.pos+n]...)
	f.pos += n
	return nil
}

func (f *inflater) dynamic() error {
	nlen := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	ncode := int(f.take(4)) + 4
	if nlen > 286 || ndist > 30 {
		return errors.New("too many length or distance symbols")
	}
	var lens [320]uint8
	for i := 0; i < ncode; i++ {
		lens[clOrder[i]] = uint8(f.take(3))
	}
	for i := ncode; i < 19; i++ {
		lens[clOrder[i]] = 0
	}
	if f.truncated() {
		return errInflateEOF
	}
	if !f.cl.build(lens[:19], false) {
		return errors.New("invalid code lengths set")
	}
	// The code-length code is complete and at most 7 bits long, so its
	// fast table resolves every code; the loop keeps the bit buffer in
	// locals (a refill gives the 14 bits a code and its repeat count
	// can need).
	bits, nb := f.bits, f.nb
	for i := 0; i < nlen+ndist; {
		if nb < 16 {
			f.bits, f.nb = bits, nb
			f.refill()
			bits, nb = f.bits, f.nb
		}
		e := f.cl.fast[bits&f.cl.mask]
		if e == 0 {
			f.bits, f.nb = bits, nb
			return errors.New("invalid code lengths set")
		}
		l := uint(e & 15)
		bits >>= l
		nb -= l
		sym := int(e >> 4)
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var ln uint8
		var rep int
		switch sym {
		case 16:
			if i == 0 {
				f.bits, f.nb = bits, nb
				return errors.New("invalid bit length repeat")
			}
			ln = lens[i-1]
			rep = 3 + int(bits&3)
			bits >>= 2
			nb -= 2
		case 17:
			rep = 3 + int(bits&7)
			bits >>= 3
			nb -= 3
		default:
			rep = 11 + int(bits&127)
			bits >>= 7
			nb -= 7
		}
		if i+rep > nlen+ndist {
			f.bits, f.nb = bits, nb
			return errors.New("invalid bit length repeat")
		}
		for ; rep > 0; rep-- {
			lens[i] = ln
			i++
		}
		if f.over > nb {
			f.bits, f.nb = bits, nb
			return errInflateEOF
		}
	}
	f.bits, f.nb = bits, nb
	if f.truncated() {
		return errInflateEOF
	}
	if lens[256] == 0 {
		return errors.New("invalid code -- missing end-of-block")
	}
	// The literal/length table is always full width: the hot loop
	// indexes it with a constant mask.
	f.lit.minBits = fastBits
	if !f.lit.build(lens[:nlen], true) {
		return errors.New("invalid literal/lengths set")
	}
	if !f.dist.build(lens[nlen:nlen+ndist], true) {
		return errors.New("invalid distances set")
	}
	return nil
}

func (f *inflater) codes(lit, dist *huffman) error {
	// The hot loop keeps the bit buffer and the output in locals (one
	// refill gives the 48 bits a length/distance pair can need) and only
	// goes through the methods for codes longer than fastBits.
	out := f.out
	bits, nb, pos, over := f.bits, f.nb, f.pos, f.over
	in := f.in
	dmask := dist.mask
	limit, start := f.limit, f.start
	var err error
loop:
	for {
		if nb < 48 {
			if pos+8 <= len(in) {
				bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int(63-nb) >> 3
				nb |= 56
			} else {
				for nb <= 56 {
					if pos < len(in) {
						bits |= uint64(in[pos]) << nb
						pos++
					} else {
						over += 8
					}
					nb += 8
				}
			}
		}
		var sym int
		if e := lit.fast[bits&(1<<fastBits-1)]; e != 0 {
			l := uint(e & 15)
			bits >>= l
			nb -= l
			sym = int(e >> 4)
		} else {
			f.bits, f.nb, f.pos, f.over = bits, nb, pos, over
			var derr error
			sym, derr = f.decode(lit)
			bits, nb, pos, over = f.bits, f.nb, f.pos, f.over
			if over > nb {
				err = errInflateEOF
				break loop
			}
			if derr != nil {
				err = errors.New("invalid literal/length code")
				break loop
			}
		}
		if over > nb {
			// The code ran into the zeros past the end of the input.
			err = errInflateEOF
			break loop
		}
		if sym < 256 {
			if len(out)+1 >= limit {
				if len(out) >= limit {
					err = errTooLarge
					break loop
				}
				out = append(out, byte(sym))
				continue
			}
			out = append(out, byte(sym))
			// Literals come in runs: a refill leaves at least 47 bits
			// after one fast code, enough for a second one. A second
			// literal in the fast table is taken here; anything else
			// goes round the loop. Bits past the end of the input
			// (over > 0) leave it to the checks of the loop.
			if e := lit.fast[bits&(1<<fastBits-1)]; e != 0 && e < 256<<4 && over == 0 {
				l := uint(e & 15)
				bits >>= l
				nb -= l
				out = append(out, byte(e>>4))
			}
			continue
		}
		if sym == 256 {
			break loop
		}
		sym -= 257
		if sym >= 29 {
			err = errors.New("invalid literal/length code")
			break loop
		}
		e := uint(lengthExtra[sym])
		length := int(lengthBase[sym]) + int(bits&(1<<e-1))
		bits >>= e
		nb -= e
		var ds int
		if de := dist.fast[bits&dmask]; de != 0 {
			l := uint(de & 15)
			bits >>= l
			nb -= l
			ds = int(de >> 4)
		} else {
			f.bits, f.nb, f.pos, f.over = bits, nb, pos, over
			var derr error
			ds, derr = f.decode(dist)
			bits, nb, pos, over = f.bits, f.nb, f.pos, f.over
			if derr != nil && over <= nb {
				err = errors.New("invalid distance code")
				break loop
			}
		}
		if ds >= 30 && over <= nb {
			err = errors.New("invalid distance code")
			break loop
		}
		if over > nb {
			err = errInflateEOF
			break loop
		}
		e = uint(distExtra[ds])
		d := int(distBase[ds]) + int(bits&(1<<e-1))
		bits >>= e
		nb -= e
		if over > nb {
			err = errInflateEOF
			break loop
		}
		if d > len(out)-start {
			err = errors.New("invalid distance too far back")
			break loop
		}
		if len(out)+length > limit {
			err = errTooLarge
			break loop
		}
		from := len(out) - d
		if n := len(out); d >= 8 && length <= 32 && cap(out)-n >= 40 {
			// Short copy from at least eight bytes back: eight bytes
			// at a time, into the spare capacity (the few bytes
			// written past the match are overwritten later, and are
			// past len meanwhile).
			buf := out[:n+40]
			for k := 0; k < length; k += 8 {
				binary.LittleEndian.PutUint64(buf[n+k:], binary.LittleEndian.Uint64(buf[from+k:]))
			}
			out = out[:n+length]
			continue
		}
		// An overlapping copy repeats out[from:] with period d: append
		// what is there, which doubles the source each round.
		for length > 0 {
			n := min(length, len(out)-from)
			out = append(out, out[from:from+n]...)
			length -= n
		}
	}
	f.out, f.bits, f.nb, f.pos, f.over = out, bits, nb, pos, over
	return err
}

var fixedLit, fixedDist = func() (l, d huffman) {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	l.minBits = fastBits
	l.build(lens[:], true)
	var dl [30]uint8
	for i := range dl {
		dl[i] = 5
	}
	// zlib's fixed distance code has 32 codes of 5 bits; 30 and 31 are
	// invalid. Thirty codes of 5 bits are incomplete, so build by hand.
	d.count[5] = 32
	for i := 0; i < 30; i++ {
		d.symbols[i] = uint16(i)
	}
	d.symbols[30], d.symbols[31] = 30, 31
	d.max = 5
	d.mask = 1<<fastBits - 1
	code := 0
	for i := 0; i < 32; i++ {
		rev := 0
		for b := 0; b < 5; b++ {
			rev = rev<<1 | (code>>b)&1
		}
		for k := rev; k < 1<<fastBits; k += 1 << 5 {
			d.fast[k] = uint16(i)<<4 | 5
		}
		code++
	}
	return
}()

// gunzipPy inflates data as Python's gzip module does: members one after
// another, NUL padding between them, header fields skipped (the header
// CRC is not checked, as in Python), CRC-32 and size checked. It stops
// with an error past limit bytes of output.
func gunzipPy(f *inflater, data []byte, limit int) ([]byte, error) {
	f.out = f.out[:0]
	f.limit = limit
	pos := 0
	for member := 1; ; member++ {
		if pos >= len(data) {
			return f.out, nil
		}
		if len(data)-pos < 2 || data[pos] != 0x1f || data[pos+1] != 0x8b {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: not a gzip header", member), false}
		}
		hdr := data[pos:]
		if len(hdr) < 10 {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: header truncated", member), false}
		}
		if hdr[2] != 8 {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: unknown compression method %d", member, hdr[2]), false}
		}
		flg := hdr[3]
		p := pos + 10
		if flg&4 != 0 { // FEXTRA
			if p+2 > len(data) {
				return nil, &gzipError{fmt.Sprintf("gzip member %d: header truncated", member), false}
			}
			p += 2 + int(binary.LittleEndian.Uint16(data[p:]))
			if p > len(data) {
				return nil, &gzipError{fmt.Sprintf("gzip member %d: header truncated", member), false}
			}
		}
		for _, bit := range []byte{8, 16} { // FNAME, FCOMMENT: up to NUL or end
			if flg&bit != 0 {
				for p < len(data) {
					p++
					if data[p-1] == 0 {
						break
					}
				}
			}
		}
		if flg&2 != 0 { // FHCRC, read and not checked
			if p+2 > len(data) {
				return nil, &gzipError{fmt.Sprintf("gzip member %d: header truncated", member), false}
			}
			p += 2
		}
		f.in, f.pos, f.bits, f.nb, f.over = data, p, 0, 0, 0
		f.start = len(f.out)
		if err := f.stream(); err != nil {
			if err == errTooLarge {
				return nil, &gzipError{"gzip data inflates past the limit (Limits.MaxInflated); a gzip bomb?", true}
			}
			return nil, &gzipError{fmt.Sprintf("gzip member %d: %v", member, err), false}
		}
		// Whole bytes left in the bit buffer belong to the trailer.
		p = f.pos - int(f.nb/8) + int(f.over/8)
		if p+8 > len(data) {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: %v", member, errInflateEOF), false}
		}
		if crc32.ChecksumIEEE(f.out[f.start:]) != binary.LittleEndian.Uint32(data[p:]) {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: CRC check failed", member), false}
		}
		if uint32(len(f.out)-f.start) != binary.LittleEndian.Uint32(data[p+4:]) {
			return nil, &gzipError{fmt.Sprintf("gzip member %d: incorrect length of data produced", member), false}
		}
		pos = p + 8
		for pos < len(data) && data[pos] == 0 {
			pos++
		}
	}
}
