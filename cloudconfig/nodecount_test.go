package cloudconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlNodes counts the nodes of yaml.v3's tree for data (the document
// node excluded, an alias one node), or -1 when it does not parse.
func yamlNodes(data []byte) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return -1
	}
	n := 0
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		n++
		for _, c := range x.Content {
			walk(c)
		}
	}
	for _, c := range doc.Content {
		walk(c)
	}
	return n
}

var minNodesCases = []struct {
	name string
	doc  string
	want int // the count minNodes gives
}{
	{"empty", "#cloud-config\n{}\n", 0},
	{"block mapping", "#cloud-config\na: 1\nb:\n  c: 2\n", 6},
	{"block sequence", "#cloud-config\nruncmd:\n- a\n- [b, c]\n- - d\n  - e\n", 2 + 1 + 2 + 2}, // "  - e" may continue the plain d: not counted
	{"flow", "#cloud-config\nx: [a, 'b, c', \"d, \\\"e\", {f: g, h}]\n", 2 + 4},
	{"comments and plain commas", "#cloud-config\n# a, b, c\nx: a, b, c # d, e\n", 2},
	{"block scalar", "#cloud-config\nx: |\n  - a: b\n  - [c, d]\ny: 1\n", 4},
	{"quoted over lines", "#cloud-config\nx: 'a\n  - b, c: d'\ny: \"e\n  f: [g, h]\"\n", 4},
	{"plain over lines", "#cloud-config\nx: a\n  - b: c\n  [d, e]\n", 2},
	{"dense flow", "#cloud-config\nx: [" + strings.Repeat("a,", 1000) + "b]\n", 2 + 1000},
	{"dense flow mapping", "#cloud-config\nx: {" + strings.Repeat("a,", 1000) + "b}\n", 2 + 1000},
	{"dense block", "#cloud-config\nx:\n" + strings.Repeat("-\n", 1000), 2 + 1000},
	{"empty flow entries", "#cloud-config\n- []\n- {}\n- [[]]\n", 3},
}

func TestMinNodes(t *testing.T) {
	for _, tt := range minNodesCases {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := minNodes([]byte(tt.doc), 1<<30)
			if got != tt.want {
				t.Errorf("minNodes = %d, want %d", got, tt.want)
			}
			if real := yamlNodes([]byte(tt.doc)); real >= 0 && got > real {
				t.Errorf("minNodes = %d, more than yaml.v3's %d nodes", got, real)
			}
		})
	}
}

// FuzzMinNodes checks that minNodes is a lower bound: never more than the
// nodes yaml.v3 builds for a document it parses. An over-count would make
// Parse refuse a document it should read.
func FuzzMinNodes(f *testing.F) {
	for _, tt := range minNodesCases {
		f.Add([]byte(tt.doc))
	}
	for _, dir := range []string{"testdata/corpus/*.yaml", "testdata/roundtrip/*", "testdata/render/*"} {
		files, _ := filepath.Glob(dir)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		real := yamlNodes(data)
		if real < 0 {
			return
		}
		if got, _ := minNodes(data, 1<<30); got > real {
			t.Fatalf("minNodes = %d, more than yaml.v3's %d nodes for\n%q", got, real, data)
		}
	})
}
