package deflate_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"

	"github.com/udkit/udkit/internal/deflate"
)

// Both modes make a gzip member that any inflater reads back; max mode
// is smaller.
func ExampleGzip() {
	in := []byte(strings.Repeat("ExecStop=/mnt/shared/bin/deregister --name app\n", 50) + "#cloud-config\nruncmd: [ls]\n")
	best := deflate.Gzip(in, deflate.Best)
	max := deflate.Gzip(in, deflate.Max)
	zr, _ := gzip.NewReader(bytes.NewReader(max))
	out, _ := io.ReadAll(zr)
	fmt.Println(bytes.Equal(out, in), len(max) <= len(best))
	// Output: true true
}
