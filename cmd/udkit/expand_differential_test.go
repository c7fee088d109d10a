package main

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// mutateLines returns a variant of b: lines deleted, duplicated,
// re-indented, re-cased or given interesting text, as a deterministic
// function of rng. It aims at what archives and includes are made of:
// YAML list items and keys, block scalars, #include lines.
func mutateLines(rng *rand.Rand, b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	interesting := []string{"- ", "  ", "#include ", "#include-once\n", "type: ", "filename: ", "launch-index: 1\n", "content: |\n", "X-Merge-Type: list(append)\n", "'", "\"", ": ", "\r", "#", "{}", "[]", "~", "https://x.test/y\n"}
	for n := 1 + rng.Intn(3); n > 0 && len(lines) > 0; n-- {
		i := rng.Intn(len(lines))
		switch rng.Intn(5) {
		case 0:
			lines = append(lines[:i], lines[i+1:]...)
		case 1:
			lines = append(lines[:i+1], lines[i:]...)
		case 2:
			lines[i] = append([]byte("  "), lines[i]...)
		case 3:
			lines[i] = bytes.ToUpper(lines[i])
		case 4:
			l := lines[i]
			at := rng.Intn(len(l) + 1)
			lines[i] = append(append(append([]byte(nil), l[:at]...), interesting[rng.Intn(len(interesting))]...), l[at:]...)
		}
	}
	return bytes.Join(lines, nil)
}

// TestExpandDifferential mutates the archive and include documents of the
// real-world corpus and checks `udkit inspect --json` against cloud-init's
// processor (archives on, includes recorded) on every variant: the same
// parts and URLs where both read it, and inspect failing only where
// cloud-init fails too.
func TestExpandDifferential(t *testing.T) {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join(realWorldDir, "*.txt"))
	for _, f := range files {
		if !strings.Contains(f, "archive") && !strings.Contains(f, "include") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	if len(seeds) < 5 {
		t.Fatalf("only %d archive and include seeds", len(seeds))
	}
	n := 600
	if s := os.Getenv("UDKIT_EXPAND_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 100
	}
	rng := rand.New(rand.NewSource(seed()))
	var docs [][]byte
	var outs []*inspectOutput
	for i := 0; i < n; i++ {
		doc := mutateLines(rng, seeds[rng.Intn(len(seeds))])
		var stdout, stderr bytes.Buffer
		code := run([]string{"inspect", "--json", "-"}, bytes.NewReader(doc), &stdout, &stderr)
		var out *inspectOutput
		if code == exitOK {
			out = new(inspectOutput)
			if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
				t.Fatal(err)
			}
			if out.Encoding.Base64 {
				continue // what EC2 would decode first; not the point here
			}
		}
		docs = append(docs, doc)
		outs = append(outs, out)
	}
	res := realtools.CloudInitExpand(t, docs...)
	differ, both := 0, 0
	for i, r := range res {
		var msg string
		switch {
		case outs[i] == nil && r.Err == "":
			msg = "inspect fails where cloud-init acts on " + itoa(len(r.Parts)) + " parts"
		case outs[i] == nil:
			continue
		default:
			both++
			msg = compareActed(*outs[i], r)
		}
		if msg != "" {
			differ++
			if differ <= 5 {
				t.Errorf("variant %q:\n%s", docs[i], msg)
			}
		}
	}
	t.Logf("%d variants: %d compared, %d differ", len(docs), both, differ)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// seed is the mutation seed: 17, or UDKIT_EXPAND_SEED to explore.
func seed() int64 {
	if s, err := strconv.ParseInt(os.Getenv("UDKIT_EXPAND_SEED"), 10, 64); err == nil {
		return s
	}
	return 17
}
