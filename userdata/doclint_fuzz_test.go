package userdata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLintDocument checks that LintDocument never panics on anything
// Decode accepts, is deterministic, and that every finding has a
// documented rule and a one-line message. Seeds: the decode corpus, the
// golden documents and the real-world corpus.
func FuzzLintDocument(f *testing.F) {
	addFileSeeds(f)
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "realworld", "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rules := map[string]bool{}
	for _, r := range DocumentRules() {
		rules[r.ID] = true
	}
	lim := Limits{MaxInput: 1 << 16, MaxInflated: 1 << 16, MaxParts: 64, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data, lim)
		if err != nil {
			return
		}
		a := LintDocument(data, d)
		b := LintDocument(data, d)
		if len(a) != len(b) {
			t.Fatalf("not deterministic: %d then %d findings", len(a), len(b))
		}
		for i, dg := range a {
			if dg.String() != b[i].String() {
				t.Fatalf("not deterministic: %s then %s", dg, b[i])
			}
			if !rules[dg.Rule] {
				t.Fatalf("undocumented rule %q", dg.Rule)
			}
			if strings.ContainsAny(dg.Message, "\r\n\x1b") || strings.ContainsAny(dg.PartLabel, "\r\n\x1b") {
				t.Fatalf("message or label not one safe line: %q %q", dg.Message, dg.PartLabel)
			}
			if dg.Part < 0 || dg.Part > len(d.Parts) {
				t.Fatalf("part %d of %d", dg.Part, len(d.Parts))
			}
		}
	})
}
