package cloudconfig_test

import (
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/cloudconfig"
)

// FuzzParseNode checks that ParseNode, on any mapping yaml.v3 decodes,
// never panics, and that what it accepts is what Parse accepts from the
// same text, with the same rendering; Validate and Lint must not panic,
// and their positions must lie in the text. Seeds: the round-trip corpus.
func FuzzParseNode(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	for _, file := range files {
		f.Add(readFile(f, file))
	}
	f.Add([]byte("#cloud-config\na: &x [1, 2]\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > cloudconfig.MaxSize {
			return
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			return
		}
		c, err := cloudconfig.ParseNode(doc.Content[0], len(data))
		if err != nil {
			return
		}
		lines := 1
		for _, b := range data {
			if b == '\n' {
				lines++
			}
		}
		var findings []int
		if err := c.Validate(); err != nil {
			if ve, ok := err.(*cloudconfig.ValidationError); ok {
				for _, d := range ve.Diagnostics {
					findings = append(findings, d.Line)
				}
			}
		}
		for _, d := range cloudconfig.Lint(c) {
			findings = append(findings, d.Line)
		}
		for _, l := range findings {
			if l < 0 || l > lines {
				t.Fatalf("finding on line %d of a %d-line text", l, lines)
			}
		}
		if p, err := cloudconfig.Parse(data); err == nil {
			a, errA := c.Marshal()
			b, errB := p.Marshal()
			if (errA == nil) != (errB == nil) || string(a) != string(b) {
				t.Fatalf("ParseNode and Parse differ:\n%s\n---\n%s", a, b)
			}
		}
	})
}
