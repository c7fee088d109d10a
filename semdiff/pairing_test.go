package semdiff

import (
	"fmt"
	"strings"
	"testing"
)

const pairCloudConfig = "#cloud-config\npackages: [curl]\nruncmd:\n  - [systemctl, daemon-reload]\n"
const pairScript = "#!/bin/sh\necho hello\n"
const pairBoothook = "#cloud-boothook\n#!/bin/sh\necho early\n"

// composedA is user data as udkit composes it: CRLF-free MIME, boundary
// one, Content-Type first, every part with a filename.
var composedA = "Content-Type: multipart/mixed; boundary=\"===one===\"\nMIME-Version: 1.0\n\n" +
	"--===one===\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"cloud-config.txt\"\n\n" + pairCloudConfig +
	"--===one===\nContent-Type: text/x-shellscript; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"hello.sh\"\n\n" + pairScript +
	"--===one===\nContent-Type: text/cloud-boothook; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\nContent-Disposition: attachment; filename=\"early.sh\"\n\n" + pairBoothook +
	"--===one===--\n"

// composedB is the same content from another composer: another boundary,
// headers in another order, a folded Content-Type, no filenames, one part in
// base64 transfer encoding (without the final newline, which the MIME
// boundary takes from the plain part).
var composedB = ("MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"b2\"\n\n" +
	"--b2\nMIME-Version: 1.0\nContent-Type: text/cloud-config\n\n" + pairCloudConfig +
	"--b2\nContent-Transfer-Encoding: base64\nContent-Type: text/x-shellscript\n\nIyEvYmluL3NoCmVjaG8gaGVsbG8=\n" +
	"--b2\nContent-Type: text/cloud-boothook\n\n" + pairBoothook +
	"--b2--\n")

// Issue 11 item 4: the same content composed by another tool diffs as
// equal (it used to show every part "only in").
func TestDiffOtherComposerEqual(t *testing.T) {
	r, err := Documents([]byte(composedA), []byte(composedB), Options{NameA: "ours", NameB: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Equal() {
		t.Fatalf("the same content from two composers differs:\n%s", r)
	}
	if got, want := r.String(), "same: ours and theirs give cloud-init the same parts\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// And a change in it is found in the right part, not as parts only in
	// one document.
	changed := strings.Replace(composedB, "echo early", "echo late", 1)
	r, err = Documents([]byte(composedA), []byte(changed), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "--- a\n+++ b\n@@ part 3 (text/cloud-boothook \"early.sh\") @@\n-echo early\n+echo late\n"
	if got := r.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Parts left after filename and type-and-position are paired by content:
// a script whose type changed is compared with the one most like it.
func TestPairBySimilarity(t *testing.T) {
	mime := func(parts ...string) string {
		s := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
		for _, p := range parts {
			s += "--B\n" + p
		}
		return s + "--B--\n"
	}
	long := "#!/bin/sh\necho 1\necho 2\necho 3\necho 4\n"
	a := mime("Content-Type: text/x-shellscript\n\n"+long, "Content-Type: text/x-shellscript\n\n#!/bin/sh\nother\n")
	b := mime("Content-Type: text/x-shellscript\n\n#!/bin/sh\nother\n", "Content-Type: text/x-shellscript-per-boot\n\n"+long)
	r, err := Documents([]byte(a), []byte(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "--- a\n+++ b\n@@ part 1 (text/x-shellscript) @@\n-content type: text/x-shellscript\n+content type: text/x-shellscript-per-boot\n"
	if got := r.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// BenchmarkPairSimilarityWorst: parts left for the similarity round, one
// of 60,000 distinct lines and 60 small ones in each document, of types
// the other lacks (61×61 candidate pairs); the look-ups stop at
// maxSimilarityWork.
func BenchmarkPairSimilarityWorst(b *testing.B) {
	var big strings.Builder
	big.WriteString("#!/bin/sh\n")
	for i := 0; i < 60000; i++ {
		fmt.Fprintf(&big, "echo %d\n", i)
	}
	mime := func(first string, n int, ct string) []byte {
		s := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: " + ct + "\n\n" + first
		for i := 0; i < n; i++ {
			s += fmt.Sprintf("--B\nContent-Type: %s\n\n#!/bin/sh\necho %d\n", ct, i)
		}
		return []byte(s + "--B--\n")
	}
	x := decodeT(b, mime(big.String(), 60, "text/x-shellscript-per-boot"))
	y := decodeT(b, mime(big.String()+"echo end\n", 60, "text/x-shellscript-per-once"))
	if r := pairParts(x.Parts, y.Parts); len(r) != 61 {
		b.Fatalf("%d pairs, want 61", len(r))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Decoded(x, y, Options{})
	}
}
