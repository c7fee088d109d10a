package cloudconfig_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/cloudconfig"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// renders, parses back, and renders to the same bytes again; Validate and
// Lint must not panic either; a rendering over MaxSize (aliases expanded)
// must be refused for its size. Seeds: the round-trip corpus, the render
// goldens and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/corpus/*.yaml", "testdata/render/*.golden"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			f.Add(readFile(f, file))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cloudconfig.Parse(data)
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = cloudconfig.Lint(c)
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("parsed but does not render: %v", err)
		}
		c2, err := cloudconfig.Parse(out)
		if err != nil && len(out) > cloudconfig.MaxSize && strings.Contains(err.Error(), "cloudconfig.MaxSize") {
			return // aliases expanded past MaxSize: refused, as documented
		}
		if err != nil {
			t.Fatalf("rendering does not parse: %v\n%s", err, out)
		}
		out2, err := c2.Marshal()
		if err != nil {
			t.Fatalf("second render: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("render not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
