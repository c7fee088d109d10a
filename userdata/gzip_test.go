package userdata

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// TestGzipNoLargerThanGzip9 compares the gzip'd documents with what
// `gzip -9 -n` makes of the same MIME bytes.
func TestGzipNoLargerThanGzip9(t *testing.T) {
	gzipCmd := realtools.Require(t, "gzip")
	docs := map[string]*Document{"seed": seedDocument(t), "large": largeBundle(t), "encodings": encodingsDocument()}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			plain, err := doc.Encode(Options{Limit: -1})
			if err != nil {
				t.Fatal(err)
			}
			ours, err := doc.Encode(Options{Gzip: GzipAlways, Limit: -1})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(gzipCmd, "-9", "-n")
			cmd.Stdin = bytes.NewReader(plain)
			theirs, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes raw: ours %d bytes gzip'd, gzip -9 -n %d bytes", len(plain), len(ours), len(theirs))
			if len(ours) > len(theirs) {
				t.Errorf("gzip'd document is %d bytes, gzip -9 -n makes %d", len(ours), len(theirs))
			}
			// And the two inflate to the same bytes.
			ungz, err := gunzip(theirs, 1<<24)
			if err != nil || !bytes.Equal(ungz, plain) {
				t.Errorf("gzip -9 -n output does not inflate to the document: %v", err)
			}
		})
	}
}
