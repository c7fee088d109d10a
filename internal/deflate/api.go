// Package deflate is udkit's DEFLATE (RFC 1951) and gzip (RFC 1952)
// encoder, used for gzip'd user data and for cloud-config write_files
// content with gz+b64 encoding.
//
// [Best], the default mode, follows zlib's level-9 match search and lazy
// matching, cuts blocks where the symbol statistics change and codes each
// block with optimal length-limited Huffman codes; on the corpus in
// testdata/corpus it never comes out larger than `gzip -9 -n`.
// [Max] parses optimally in the manner of zopfli (iterated cost model,
// block splitting) for the last few percent, at many times the cost.
// Output is deterministic in both modes: same input, same bytes.
package deflate

import (
	"encoding/binary"
	"hash/crc32"
	"sync"
	"sync/atomic"
)

// Mode selects how hard the encoder works.
type Mode int

const (
	// Best is zlib level-9 effort with better block splitting: never
	// larger than `gzip -9 -n` on the corpus, faster than compress/gzip's
	// default level on user data.
	Best Mode = iota
	// Max is optimal parsing in the manner of zopfli.
	Max
)

// encoders holds idle encoders (about 200 KiB each). A sync.Pool is
// emptied by every other garbage collection, and a program that allocates
// much between two encodings would then build and zero a new encoder for
// most of them: one idle encoder is also kept in spare, which survives
// collections.
var (
	encoders = sync.Pool{New: func() any { return newDeflater() }}
	spare    atomic.Pointer[deflater]
)

// newDeflater returns a new encoder. Its hash table is zero, i.e. empty
// for any base above 0: reset need not clear it.
func newDeflater() *deflater { return &deflater{base: 1} }

func getDeflater() *deflater {
	if d := spare.Swap(nil); d != nil {
		return d
	}
	return encoders.Get().(*deflater)
}

func putDeflater(d *deflater) {
	if !spare.CompareAndSwap(nil, d) {
		encoders.Put(d)
	}
}

// Deflate appends the raw DEFLATE stream of in, compressed in mode m, to
// dst and returns the extended slice.
func Deflate(dst, in []byte, m Mode) []byte {
	d := getDeflater()
	defer putDeflater(d)
	if m == Max {
		return d.compressMax(dst, in)
	}
	return d.compress(dst, in)
}

// Gzip compresses in into one gzip member with an empty header (no
// name, zero modification time, XFL 2, OS 255), so that the bytes depend
// on in and m only.
func Gzip(in []byte, m Mode) []byte {
	out := make([]byte, 10, 10+len(in)/2+64)
	out[0], out[1], out[2] = 0x1f, 0x8b, 8
	out[8] = 2 // XFL: maximum compression
	out[9] = 255
	out = Deflate(out, in, m)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(in))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(in)))
	return out
}
