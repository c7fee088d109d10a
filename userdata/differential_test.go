package userdata

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// mutate returns a variant of b: a deterministic function of rng. The
// mutations aim at the places where MIME parsers disagree: delimiter
// lines, line endings, header syntax, parameters and quoting, transfer
// encodings and truncation.
func mutate(rng *rand.Rand, b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	pick := func() int { return rng.Intn(len(lines)) }
	interesting := []string{`"`, ";", "=", `\`, " ", "\t", "-", "--", ":", "\r", "\n", "\r\n", "*", "'", "%", "%C3%A9", "é", "\u00a0", "\x1c", "From ", "MIME-Version: 1.0\r\n", "Content-Transfer-Encoding: base64\r\n", "Content-Transfer-Encoding: quoted-printable\r\n", "Content-Type: text/plain\r\n", "name*0=\"a\"; name*1=b", "=\r\n", "=3D", "=="}
	for n := 1 + rng.Intn(3); n > 0; n-- {
		switch rng.Intn(8) {
		case 0: // delete a line
			if len(lines) > 1 {
				i := pick()
				lines = append(lines[:i], lines[i+1:]...)
			}
		case 1: // duplicate a line
			i := pick()
			lines = append(lines[:i+1], lines[i:]...)
		case 2: // change a line ending
			i := pick()
			l := bytes.TrimRight(lines[i], "\r\n")
			lines[i] = append(append([]byte(nil), l...), []string{"\n", "\r\n", "\r", "", " \r\n"}[rng.Intn(5)]...)
		case 3: // insert something interesting
			i := pick()
			l := lines[i]
			at := rng.Intn(len(l) + 1)
			ins := interesting[rng.Intn(len(interesting))]
			lines[i] = append(append(append([]byte(nil), l[:at]...), ins...), l[at:]...)
		case 4: // overwrite a byte
			i := pick()
			if len(lines[i]) > 0 {
				l := append([]byte(nil), lines[i]...)
				l[rng.Intn(len(l))] = interesting[rng.Intn(len(interesting))][0]
				lines[i] = l
			}
		case 5: // truncate
			all := bytes.Join(lines, nil)
			if len(all) > 0 {
				lines = [][]byte{all[:rng.Intn(len(all))]}
			}
		case 6: // change case
			i := pick()
			if rng.Intn(2) == 0 {
				lines[i] = bytes.ToUpper(lines[i])
			} else {
				lines[i] = bytes.ToLower(lines[i])
			}
		case 7: // repeat a delimiter-like line from elsewhere
			for _, l := range lines {
				if bytes.HasPrefix(l, []byte("--")) {
					i := pick()
					lines = append(lines[:i], append([][]byte{append([]byte(nil), l...)}, lines[i:]...)...)
					break
				}
			}
		}
		if len(lines) == 0 {
			lines = [][]byte{{}}
		}
	}
	return bytes.Join(lines, nil)
}

// TestDecodeDifferential mutates the decode corpus and the golden
// documents in a fixed pseudo-random way and checks Decode against
// cloud-init's parser on every variant: the parts of every variant Decode
// accepts must be cloud-init's, and every variant Decode rejects must be
// one cloud-init fails on too or one of the documented knownDifferences.
// It is the fuzz test
// with cloud-init as the judge, kept deterministic so a failure can be
// reproduced. Set UDKIT_DIFF_DUMP=DIR to write the differing variants
// there (to add them to testdata/decode).
func TestDecodeDifferential(t *testing.T) {
	var seeds [][]byte
	for _, pat := range []string{"testdata/decode/*", "testdata/golden/seed.golden", "testdata/golden/encodings.golden", "../testdata/realworld/*.txt"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	if len(seeds) == 0 {
		t.Fatal("no seeds")
	}
	n := 2000
	if testing.Short() {
		n = 200
	}
	rng := rand.New(rand.NewSource(1))
	var inputs, rejectedInputs [][]byte
	var decoded []*Decoded
	var rejectedErrs []error
	for i := 0; i < n; i++ {
		in := mutate(rng, seeds[rng.Intn(len(seeds))])
		d, err := Decode(in, Limits{})
		if err != nil {
			rejectedInputs = append(rejectedInputs, in)
			rejectedErrs = append(rejectedErrs, err)
			continue
		}
		inputs = append(inputs, cloudInitInput(t, in, d))
		decoded = append(decoded, d)
	}
	rejected := len(rejectedInputs)
	// cloud-init is given what it would see: EC2 decodes base64 first,
	// which is the first thing Decode does too.
	for i, in := range rejectedInputs {
		if raw, ok := maybeBase64(in); ok {
			rejectedInputs[i] = raw
		}
	}
	res := realtools.CloudInitParse(t, append(inputs, rejectedInputs...)...)
	// Every rejection must be one where cloud-init fails too, or one of
	// the documented knownDifferences (where cloud-init must behave as
	// the entry says).
	classes := map[string]int{}
	unexplained := 0
	for i, r := range res[len(inputs):] {
		class, problem := explainRejection(rejectedErrs[i].Error(), rejectedInputs[i], r)
		if problem != "" {
			unexplained++
			if unexplained <= 5 {
				t.Errorf("variant %q:\n%s", abbrevBytes(rejectedInputs[i]), problem)
			}
			if dir := os.Getenv("UDKIT_DIFF_DUMP"); dir != "" {
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("rejected-%04d", i)), rejectedInputs[i], 0o644)
			}
			continue
		}
		classes[class]++
	}
	var counts []string
	explained := 0
	for _, c := range append([]string{"cloud-init fails too"}, knownDifferenceNames()...) {
		counts = append(counts, fmt.Sprintf("%s: %d", c, classes[c]))
		explained += classes[c]
	}
	t.Logf("%d rejected by Decode: %s; unexplained: %d", rejected, strings.Join(counts, ", "), unexplained)
	if explained+unexplained != rejected {
		t.Errorf("rejections counted %d+%d, want %d", explained, unexplained, rejected)
	}
	if unexplained > 0 {
		t.Errorf("%d of %d rejections are of documents cloud-init parses and no known difference explains them", unexplained, rejected)
	}
	// The test must compare, not just reject: most variants have to be
	// decoded and judged part by part.
	if len(inputs) < n*3/4 {
		t.Errorf("only %d of %d variants decoded; the comparison needs most of them", len(inputs), n)
	}
	res = res[:len(inputs)]
	failures := 0
	for i, r := range res {
		var msg string
		if r.Err != "" {
			msg = "cloud-init fails (" + r.Err + ") where Decode gives parts"
		} else {
			msg = sameAsCloudInit(decoded[i].Parts, r.Parts)
		}
		if msg != "" {
			failures++
			if failures <= 5 {
				t.Errorf("variant %q:\n%s", abbrevBytes(inputs[i]), msg)
			}
			if dir := os.Getenv("UDKIT_DIFF_DUMP"); dir != "" {
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("diff-%04d", i)), inputs[i], 0o644)
			}
		}
	}
	t.Logf("%d variants: %d rejected by Decode, %d compared with cloud-init, %d differ", n, rejected, len(inputs), failures)
}
