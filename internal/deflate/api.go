package deflate

import "sync"

var encoders = sync.Pool{New: func() any { return new(deflater) }}

// Gzip compresses in into a gzip member with an empty header.
func Gzip(in []byte) []byte {
	d := encoders.Get().(*deflater)
	out := gzipDeflate(d, in)
	encoders.Put(d)
	return out
}
