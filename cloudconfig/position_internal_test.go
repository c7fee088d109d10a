package cloudconfig

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// locate indexes a large mapping once instead of searching it key by key
// for every finding; the index finds what the key-by-key search finds,
// the last of duplicate keys included.
func TestNodeAtIndexed(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("a:\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&doc, "  k%d: [x, {y: %d}]\n", i, i)
	}
	doc.WriteString("  k7: last\n")
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc.String()), &n); err != nil {
		t.Fatal(err)
	}
	root := n.Content[0]
	var idx keyIndex
	for _, p := range []string{"a", "a.k0", "a.k7", "a.k199[1].y", "a.k5[0]", "a.k300", "a.k5[2]", "a.k5.y", "b"} {
		want, got := nodeAt(root, p), idx.nodeAt(root, p)
		if want != got {
			t.Errorf("%s: indexed %v, key by key %v", p, got, want)
		}
	}
	if len(idx) != 1 {
		t.Errorf("indexed %d mappings, want 1 (only the large one)", len(idx))
	}
}
