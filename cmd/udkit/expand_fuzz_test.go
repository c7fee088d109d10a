package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/udkit/udkit/userdata"
)

// FuzzActOn checks that expanding archives and reading includes never
// panics and is deterministic, on the real-world corpus and its variants.
func FuzzActOn(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(realWorldDir, "*.txt"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("#cloud-config-archive\n- &a {content: x}\n- *a\n- [1, 2]\n- {type: text, content: 5}\n"))
	lim := userdata.Limits{MaxInput: 1 << 16, MaxInflated: 1 << 16, MaxParts: 64, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := userdata.Decode(data, lim)
		if err != nil {
			return
		}
		p1, i1, w1, e1 := actOn(d)
		p2, i2, w2, e2 := actOn(d)
		if (e1 == nil) != (e2 == nil) {
			t.Fatal("error not deterministic")
		}
		if len(p1) != len(p2) || len(i1) != len(i2) || len(w1) != len(w2) {
			t.Fatal("not deterministic")
		}
		for i := range p1 {
			if p1[i].ContentType != p2[i].ContentType || string(p1[i].Body) != string(p2[i].Body) || p1[i].LaunchIndex != p2[i].LaunchIndex {
				t.Fatalf("part %d not deterministic", i+1)
			}
		}
	})
}
