package semdiff

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

// Op says whether a [Change] line is removed from the first document or
// added in the second.
type Op string

const (
	OpRemove Op = "remove" // the line is in the first document only
	OpAdd    Op = "add"    // the line is in the second document only
)

// Change is one line of a semantic diff.
type Change struct {
	// Hunk names the pair of parts the change is in, such as
	// `part 1 (text/cloud-config "cloud-config")`: the part's number and
	// label in the first document, or in the second when the first has no
	// such part.
	Hunk string `json:"part"`
	// PartA and PartB are the 1-based numbers of the parts compared in the
	// first and second document; 0 when the part is in the other only.
	PartA int `json:"a_part"`
	PartB int `json:"b_part"`
	Op    Op  `json:"op"`
	// Path locates the change inside the part: a YAML path
	// (write_files[/etc/x].content), "content type", "filename" or
	// "merge type"; empty for a line of a part that is not cloud-config.
	Path string `json:"path,omitempty"`
	// Text is the line, YAML value in flow form, or unit "[Section]
	// Key=Value", as written (unescaped).
	Text string `json:"text"`
}

// Result is the semantic difference between two user-data documents.
type Result struct {
	// NameA and NameB are the names the documents are shown under.
	NameA string `json:"a"`
	NameB string `json:"b"`
	// Notes are differences in encoding only (base64, gzip, MIME), which
	// do not count.
	Notes []string `json:"notes"`
	// Changes are the differences in what cloud-init sees, in the first
	// document's part order, then the second's extra parts.
	Changes []Change `json:"changes"`

	work, keyProbes int // for tests: the work the comparison took
}

// Equal reports whether cloud-init sees the same parts in both documents.
func (r *Result) Equal() bool { return len(r.Changes) == 0 }

// String is the text form of r, as `udkit diff` prints it.
func (r *Result) String() string {
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}

// WriteText writes the text form of r to w: the notes, then either a
// "same:" line or a unified-diff-like listing with one "@@ part N (label)
// @@" header per pair of parts and one "-" or "+" line per change. Every
// string that comes from the documents is escaped with [diag.Escape], so
// the output is safe to print on a terminal and each change is one line.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, n := range r.Notes {
		b.WriteString(diag.Escape("note: "+n) + "\n")
	}
	if r.Equal() {
		b.WriteString(diag.Escape(fmt.Sprintf("same: %s and %s give cloud-init the same parts", r.NameA, r.NameB)) + "\n")
	} else {
		fmt.Fprintf(&b, "--- %s\n+++ %s\n", diag.Escape(r.NameA), diag.Escape(r.NameB))
		written := ""
		for i, c := range r.Changes {
			if i == 0 || c.Hunk != written {
				fmt.Fprintf(&b, "@@ %s @@\n", diag.Escape(c.Hunk))
				written = c.Hunk
			}
			sign := "-"
			if c.Op == OpAdd {
				sign = "+"
			}
			if c.Path != "" {
				fmt.Fprintf(&b, "%s%s: %s\n", sign, diag.Escape(c.Path), diag.Escape(c.Text))
			} else {
				fmt.Fprintf(&b, "%s%s\n", sign, diag.Escape(c.Text))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Options are the options of [Documents].
type Options struct {
	// NameA and NameB are the names the documents are shown under;
	// "a" and "b" when empty.
	NameA, NameB string
	// Limits are the decoding limits; the zero value is userdata's
	// defaults.
	Limits userdata.Limits
}

// Documents decodes a and b as cloud-init would (base64, gzip, MIME
// multipart, in any combination) and compares them. The error is a
// decoding error, naming the document.
func Documents(a, b []byte, opts Options) (*Result, error) {
	opts = opts.names()
	da, err := userdata.Decode(a, opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.NameA, err)
	}
	db, err := userdata.Decode(b, opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.NameB, err)
	}
	return Decoded(da, db, opts), nil
}

func (o Options) names() Options {
	if o.NameA == "" {
		o.NameA = "a"
	}
	if o.NameB == "" {
		o.NameB = "b"
	}
	return o
}

// Decoded compares two decoded documents. Parts are paired by filename
// (when unique in each document), then by content type and position,
// then by content similarity; a pair is compared by YAML path for
// cloud-config (write_files entries matched by path, units inside them by
// section and key) and line by line otherwise.
func Decoded(a, b *userdata.Decoded, opts Options) *Result {
	opts = opts.names()
	r := &Result{NameA: opts.NameA, NameB: opts.NameB, Notes: []string{}, Changes: []Change{}}
	for _, n := range []struct {
		what string
		x, y bool
	}{{"base64", a.Base64, b.Base64}, {"gzip'd", a.Gzip, b.Gzip}, {"MIME multipart", a.MIME, b.MIME}} {
		if n.x != n.y {
			r.Notes = append(r.Notes, fmt.Sprintf("%s is %s, %s is not (encoding only, not counted)",
				pick(n.x, r.NameA, r.NameB), n.what, pick(n.x, r.NameB, r.NameA)))
		}
	}
	d := &differ{res: r, work: maxDiffWork, yamlBytes: maxDiffYAML}
	for _, m := range pairParts(a.Parts, b.Parts) {
		d.hunk, d.a, d.b = partLabel(m), m.a+1, m.b+1
		switch {
		case m.a < 0:
			d.add("+", "", "only in "+r.NameB)
		case m.b < 0:
			d.add("-", "", "only in "+r.NameA)
		default:
			diffPart(d, a.Parts[m.a], b.Parts[m.b])
		}
	}
	r.work, r.keyProbes = maxDiffWork-d.work, d.keyProbes
	return r
}

func pick(c bool, x, y string) string {
	if c {
		return x
	}
	return y
}

type partPair struct {
	a, b   int // indexes, -1 when absent
	pa, pb *userdata.Part
}

func partLabel(m partPair) string {
	p, i := m.pa, m.a
	if p == nil {
		p, i = m.pb, m.b
	}
	return fmt.Sprintf("part %d (%s)", i+1, p.Label())
}

// maxSimilarityPairs bounds the pairs of leftover parts compared for
// similarity.
const maxSimilarityPairs = 64 * 64

// maxSimilarityWork bounds the line look-ups of round 3 of pairParts.
const maxSimilarityWork = 8 << 20

// pairParts pairs the parts of a and b, in three rounds, each over the
// parts the rounds before left:
//  1. by filename, when it is present and unique in both documents;
//  2. by content type and position, for each content type that has as
//     many parts left in a as in b;
//  3. by content similarity (the share of lines in common, at least half),
//     most similar first.
//
// The pairs come in a's order, then b's parts left over in b's order.
func pairParts(a, b []userdata.Part) []partPair {
	ofA, ofB := make([]int, len(a)), make([]int, len(b))
	for i := range ofA {
		ofA[i] = -1
	}
	for j := range ofB {
		ofB[j] = -1
	}
	link := func(i, j int) { ofA[i], ofB[j] = j, i }

	// 1. Filename.
	count := map[string]int{}
	for _, p := range a {
		count["a"+p.Filename]++
	}
	for _, p := range b {
		count["b"+p.Filename]++
	}
	byName := map[string]int{}
	for j, p := range b {
		if p.Filename != "" && count["b"+p.Filename] == 1 {
			byName[p.Filename] = j
		}
	}
	for i, p := range a {
		if p.Filename == "" || count["a"+p.Filename] != 1 {
			continue
		}
		if j, ok := byName[p.Filename]; ok {
			link(i, j)
		}
	}

	// 2. Content type and position.
	left := func(parts []userdata.Part, of []int) map[string][]int {
		m := map[string][]int{}
		for i, p := range parts {
			if of[i] < 0 {
				m[p.ContentType] = append(m[p.ContentType], i)
			}
		}
		return m
	}
	la, lb := left(a, ofA), left(b, ofB)
	for ct, is := range la {
		if js := lb[ct]; len(js) == len(is) {
			for k := range is {
				link(is[k], js[k])
			}
		}
	}

	// 3. Content similarity.
	var ra, rb []int
	for i := range a {
		if ofA[i] < 0 {
			ra = append(ra, i)
		}
	}
	for j := range b {
		if ofB[j] < 0 {
			rb = append(rb, j)
		}
	}
	if len(ra) > 0 && len(rb) > 0 && len(ra)*len(rb) <= maxSimilarityPairs {
		type cand struct {
			i, j     int
			score    float64
			sameType bool
		}
		lines := func(body []byte) map[string]int {
			m := map[string]int{}
			for _, l := range strings.Split(string(body), "\n") {
				m[l]++
			}
			return m
		}
		lbs := make(map[int]map[string]int, len(rb))
		nbs := make(map[int]int, len(rb))
		for _, j := range rb {
			lbs[j] = lines(b[j].Body)
			nbs[j] = strings.Count(string(b[j].Body), "\n") + 1
		}
		var cands []cand
		work := maxSimilarityWork
		for _, i := range ra {
			la := lines(a[i].Body)
			na := strings.Count(string(a[i].Body), "\n") + 1
			for _, j := range rb {
				small, large := la, lbs[j]
				if len(large) < len(small) {
					small, large = large, small
				}
				if work -= len(small); work < 0 {
					break // the rest stay unpaired: shown as only in one
				}
				nb := nbs[j]
				common := 0
				for l, c := range small {
					common += min(c, large[l])
				}
				score := float64(common) / float64(max(na, nb))
				if score >= 0.5 {
					cands = append(cands, cand{i, j, score, a[i].ContentType == b[j].ContentType})
				}
			}
		}
		sort.SliceStable(cands, func(x, y int) bool {
			cx, cy := cands[x], cands[y]
			if cx.score != cy.score {
				return cx.score > cy.score
			}
			if cx.sameType != cy.sameType {
				return cx.sameType
			}
			if cx.i != cy.i {
				return cx.i < cy.i
			}
			return cx.j < cy.j
		})
		for _, c := range cands {
			if ofA[c.i] < 0 && ofB[c.j] < 0 {
				link(c.i, c.j)
			}
		}
	}

	var out []partPair
	for i := range a {
		m := partPair{a: i, b: ofA[i], pa: &a[i]}
		if m.b >= 0 {
			m.pb = &b[m.b]
		}
		out = append(out, m)
	}
	for j := range b {
		if ofB[j] < 0 {
			out = append(out, partPair{a: -1, b: j, pb: &b[j]})
		}
	}
	return out
}
