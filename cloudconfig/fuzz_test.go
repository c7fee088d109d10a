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
// goldens, texts with tabs and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/corpus/*.yaml", "testdata/render/*.golden"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			f.Add(readFile(f, file))
		}
	}
	// Tabs: in a literal block (inside a line, at a later line's start,
	// trailing, tab-only lines) and double-quoted (at the very start).
	f.Add([]byte("#cloud-config\nwrite_files:\n  - path: /etc/a\n    content: |\n      a\tb\n      \tc\t\n      \t\n      d  \te\nruncmd:\n  - \"\\tfirst\\nsecond\\n\"\n  - |-\n      x\n      \ty\n"))
	// A tab first in a block scalar: PyYAML reads it, yaml.v3 refuses it.
	f.Add([]byte("#cloud-config\nruncmd:\n  - |-\n      \tx\n"))
	for _, tt := range tabCases {
		c := &cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/etc/t", Content: tt.text}}}
		if out, err := c.Marshal(); err == nil {
			f.Add(out)
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
