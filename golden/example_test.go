package golden_test

import (
	"testing"

	"github.com/udkit/udkit/golden"
)

func render() []byte { return []byte("#cloud-config\nruncmd: []\n") }

// A test compares its output with testdata/render.golden; running it with
// -update rewrites the file instead.
func ExampleAssert() {
	_ = func(t *testing.T) {
		golden.Assert(t, "testdata/render.golden", render())
	}
}
