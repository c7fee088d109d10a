package userdata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// TestDecodeRealWorldMatchesCloudInit decodes every document of the
// real-world corpus (testdata/realworld) and requires the parts cloud-init's
// parser finds with include and archive expansion off: Decode's own view,
// one level below what `udkit inspect` shows (cmd/udkit's
// TestRealWorldCorpus judges that, expansion on).
func TestDecodeRealWorldMatchesCloudInit(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "realworld", "*.txt"))
	if len(files) < 60 {
		t.Fatalf("%d real-world documents, want at least 60", len(files))
	}
	var inputs [][]byte
	var decoded []*Decoded
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(b, Limits{})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		inputs = append(inputs, cloudInitInput(t, b, d))
		decoded = append(decoded, d)
		names = append(names, filepath.Base(f))
	}
	for i, r := range realtools.CloudInitParse(t, inputs...) {
		msg := ""
		if r.Err != "" {
			msg = "cloud-init fails (" + r.Err + ") where Decode gives parts"
		} else {
			msg = sameAsCloudInit(decoded[i].Parts, r.Parts)
		}
		if msg != "" {
			t.Errorf("%s:\n%s", names[i], msg)
		}
	}
}
