package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

const diffUsage = "usage: udkit diff A B"

func init() {
	register("diff", command{
		summary: "compare two user data semantically (exit 0 same, 1 different, 2 trouble)",
		run:     runDiff,
	})
}

// runDiff decodes both documents as cloud-init would and compares them
// part by part: cloud-config by YAML path (write_files entries matched by
// path, units inside them by section and key), units by section and key,
// other parts line by line. Differences in encoding only (gzip, base64,
// MIME boundary, transfer encoding) are noted but do not count.
func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("diff", diffUsage, stderr)
	files, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) != 2 || files[0] == "-" && files[1] == "-" {
		fmt.Fprintln(stderr, diffUsage)
		return exitUsage
	}
	var docs [2]*userdata.Decoded
	for i, name := range files {
		data, err := readInput(name, stdin, userdata.DefaultMaxInput)
		if err != nil {
			fmt.Fprintf(stderr, "udkit diff: %v\n", err)
			return exitUsage
		}
		if docs[i], err = userdata.Decode(data, userdata.Limits{}); err != nil {
			fmt.Fprintf(stderr, "udkit diff: %s: %v\n", name, err)
			return exitUsage
		}
	}
	if !compareDocs(stdout, files[0], files[1], docs[0], docs[1]) {
		return exitFail
	}
	return exitOK
}

// compareDocs writes the differences between a and b to w, or a line
// saying they are the same, and reports whether they are.
func compareDocs(w io.Writer, nameA, nameB string, a, b *userdata.Decoded) bool {
	out := &diffWriter{w: w}
	for _, n := range []struct {
		what string
		x, y bool
	}{{"base64", a.Base64, b.Base64}, {"gzip'd", a.Gzip, b.Gzip}, {"MIME multipart", a.MIME, b.MIME}} {
		if n.x != n.y {
			fmt.Fprintf(w, "note: %s is %s, %s is not (encoding only, not counted)\n", pick(n.x, nameA, nameB), n.what, pick(n.x, nameB, nameA))
		}
	}
	fmt.Fprintf(out.buf(), "--- %s\n+++ %s\n", nameA, nameB)
	for _, m := range matchParts(a.Parts, b.Parts) {
		out.hunk = partLabel(m)
		switch {
		case m.a < 0:
			out.add("+", "", "only in "+nameB)
		case m.b < 0:
			out.add("-", "", "only in "+nameA)
		default:
			diffPart(out, a.Parts[m.a], b.Parts[m.b])
		}
	}
	if !out.changed {
		fmt.Fprintf(w, "same: %s and %s give cloud-init the same parts\n", nameA, nameB)
		return true
	}
	io.WriteString(w, out.b.String())
	return false
}

func pick(c bool, x, y string) string {
	if c {
		return x
	}
	return y
}

// diffWriter collects change lines under "@@ part @@" hunk headers, each
// header written once before its first change.
type diffWriter struct {
	w       io.Writer
	b       strings.Builder
	hunk    string
	written string
	changed bool
}

func (d *diffWriter) buf() *strings.Builder { return &d.b }

func (d *diffWriter) add(sign, path, text string) {
	d.changed = true
	if d.written != d.hunk {
		fmt.Fprintf(&d.b, "@@ %s @@\n", d.hunk)
		d.written = d.hunk
	}
	if path != "" {
		fmt.Fprintf(&d.b, "%s%s: %s\n", sign, path, text)
	} else {
		fmt.Fprintf(&d.b, "%s%s\n", sign, text)
	}
}

type partMatch struct {
	a, b   int // indexes, -1 when absent
	pa, pb *userdata.Part
}

func partLabel(m partMatch) string {
	p, i := m.pa, m.a
	if p == nil {
		p, i = m.pb, m.b
	}
	return fmt.Sprintf("part %d (%s)", i+1, p.Label())
}

// matchParts pairs the parts of a and b: by content type and filename when
// those are unique in both documents, by position otherwise, in a's order
// with b's extra parts at the end.
func matchParts(a, b []userdata.Part) []partMatch {
	key := func(p userdata.Part) string { return p.ContentType + "\x00" + p.Filename }
	count := map[string]int{}
	for _, p := range a {
		count["a"+key(p)]++
	}
	for _, p := range b {
		count["b"+key(p)]++
	}
	unique := func(p userdata.Part) bool {
		return p.Filename != "" && count["a"+key(p)] <= 1 && count["b"+key(p)] <= 1
	}
	usedB := make([]bool, len(b))
	var out []partMatch
	for i := range a {
		j := -1
		if unique(a[i]) {
			for k := range b {
				if !usedB[k] && key(b[k]) == key(a[i]) {
					j = k
				}
			}
		} else if i < len(b) && !usedB[i] && !unique(b[i]) {
			j = i
		}
		m := partMatch{a: i, b: j, pa: &a[i]}
		if j >= 0 {
			usedB[j] = true
			m.pb = &b[j]
		}
		out = append(out, m)
	}
	for k := range b {
		if !usedB[k] {
			out = append(out, partMatch{a: -1, b: k, pb: &b[k]})
		}
	}
	return out
}

func diffPart(out *diffWriter, a, b userdata.Part) {
	if a.ContentType != b.ContentType {
		out.add("-", "content type", userdata.QuoteHeader(a.ContentType))
		out.add("+", "content type", userdata.QuoteHeader(b.ContentType))
	}
	if a.MergeType != b.MergeType {
		out.add("-", "merge type", userdata.QuoteHeader(a.MergeType))
		out.add("+", "merge type", userdata.QuoteHeader(b.MergeType))
	}
	if a.ContentType == userdata.ContentCloudConfig && b.ContentType == userdata.ContentCloudConfig {
		var na, nb yaml.Node
		ea, eb := yaml.Unmarshal(a.Body, &na), yaml.Unmarshal(b.Body, &nb)
		if ea == nil && eb == nil {
			diffNode(out, "", root(&na), root(&nb))
			return
		}
	}
	diffText(out, "", string(a.Body), string(b.Body))
}

func root(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// diffNode compares two YAML values at path. Aliases are compared as
// written (*name), never followed: following them could recurse for ever
// on a self-referencing anchor or blow up exponentially on nested ones.
func diffNode(out *diffWriter, path string, a, b *yaml.Node) {
	switch {
	case a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode:
		diffMapping(out, path, a, b)
	case a.Kind == yaml.SequenceNode && b.Kind == yaml.SequenceNode:
		if byPath(a) && byPath(b) {
			diffByPath(out, path, a, b)
		} else {
			diffSequence(out, path, a, b)
		}
	case a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && strings.Contains(a.Value+b.Value, "\n"):
		if a.Value != b.Value {
			if strings.HasSuffix(path, ".content") && looksLikeUnit(a.Value) && looksLikeUnit(b.Value) {
				diffUnit(out, path, a.Value, b.Value)
			} else {
				diffText(out, path, a.Value, b.Value)
			}
		}
	default:
		if x, y := flow(a), flow(b); x != y {
			out.add("-", path, x)
			out.add("+", path, y)
		}
	}
}

func diffMapping(out *diffWriter, path string, a, b *yaml.Node) {
	get := func(m *yaml.Node, k string) *yaml.Node {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				return m.Content[i+1]
			}
		}
		return nil
	}
	for i := 0; i+1 < len(a.Content); i += 2 {
		k := a.Content[i].Value
		p := joinPath(path, k)
		if v := get(b, k); v != nil {
			diffNode(out, p, a.Content[i+1], v)
		} else {
			out.add("-", p, flow(a.Content[i+1]))
		}
	}
	for i := 0; i+1 < len(b.Content); i += 2 {
		k := b.Content[i].Value
		if get(a, k) == nil {
			out.add("+", joinPath(path, k), flow(b.Content[i+1]))
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// byPath reports whether every element of a sequence is a mapping with a
// distinct string "path" key, as write_files entries are.
func byPath(s *yaml.Node) bool {
	if len(s.Content) == 0 {
		return false
	}
	seen := map[string]bool{}
	for _, e := range s.Content {
		p := pathKey(e)
		if p == "" || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}

func pathKey(m *yaml.Node) string {
	if m.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "path" && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// diffByPath compares lists of mappings matched by their path key:
// write_files[/etc/x].content.
func diffByPath(out *diffWriter, path string, a, b *yaml.Node) {
	inB := map[string]*yaml.Node{}
	for _, e := range b.Content {
		inB[pathKey(e)] = e
	}
	inA := map[string]bool{}
	for _, e := range a.Content {
		k := pathKey(e)
		inA[k] = true
		p := fmt.Sprintf("%s[%s]", path, k)
		if o, ok := inB[k]; ok {
			diffNode(out, p, e, o)
		} else {
			out.add("-", p, "entry only in the first")
		}
	}
	for _, e := range b.Content {
		if k := pathKey(e); !inA[k] {
			out.add("+", fmt.Sprintf("%s[%s]", path, k), "entry only in the second")
		}
	}
}

// diffSequence compares lists element by element in flow form, aligned by
// a longest common subsequence, so that one inserted runcmd entry shows as
// one added line.
func diffSequence(out *diffWriter, path string, a, b *yaml.Node) {
	xs := make([]string, len(a.Content))
	for i, e := range a.Content {
		xs[i] = flow(e)
	}
	ys := make([]string, len(b.Content))
	for i, e := range b.Content {
		ys[i] = flow(e)
	}
	for _, op := range lcsDiff(xs, ys) {
		switch op.sign {
		case "-":
			out.add("-", fmt.Sprintf("%s[%d]", path, op.i), op.text)
		case "+":
			out.add("+", fmt.Sprintf("%s[%d]", path, op.j), op.text)
		}
	}
}

// flow renders a YAML value on one line.
func flow(n *yaml.Node) string {
	if n == nil {
		return "null"
	}
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			return fmt.Sprintf("%q", n.Value)
		}
		return n.Value
	}
	c := *n
	setFlow(&c)
	b, err := yaml.Marshal(&c)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return strings.TrimSpace(string(b))
}

// setFlow makes a deep copy of n's containers flow-styled.
func setFlow(n *yaml.Node) {
	n.Style |= yaml.FlowStyle
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	kids := make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c := *k
		if c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
			setFlow(&c)
		} else {
			c.HeadComment, c.LineComment, c.FootComment = "", "", ""
			if strings.Contains(c.Value, "\n") {
				c.Style = yaml.DoubleQuotedStyle
			}
		}
		kids[i] = &c
	}
	n.Content = kids
}

func looksLikeUnit(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		return strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]")
	}
	return false
}

// diffUnit compares two unit files by section and key.
func diffUnit(out *diffWriter, path, a, b string) {
	ua, ea := unit.Parse(strings.NewReader(a))
	ub, eb := unit.Parse(strings.NewReader(b))
	if ea != nil || eb != nil {
		diffText(out, path, a, b)
		return
	}
	flat := func(u *unit.Unit) []string {
		var out []string
		for _, s := range u.Sections {
			for _, o := range s.Options {
				out = append(out, "["+s.Name+"] "+o.Key+"="+o.Value)
			}
		}
		return out
	}
	for _, op := range lcsDiff(flat(ua), flat(ub)) {
		if op.sign != " " {
			out.add(op.sign, path, op.text)
		}
	}
}

// diffText compares two texts line by line.
func diffText(out *diffWriter, path, a, b string) {
	if a == b {
		return
	}
	for _, op := range lcsDiff(strings.Split(a, "\n"), strings.Split(b, "\n")) {
		if op.sign != " " {
			out.add(op.sign, path, op.text)
		}
	}
}

type diffOp struct {
	sign string // " ", "-" or "+"
	i, j int    // index in a (for " " and "-"), in b (for "+")
	text string
}

// maxLCS bounds the table of lcsDiff; beyond it the texts are reported as
// wholly replaced, so that huge inputs never take quadratic memory.
const maxLCS = 4 << 20

// lcsDiff aligns xs and ys by a longest common subsequence.
func lcsDiff(xs, ys []string) []diffOp {
	// Trim the common prefix and suffix first.
	pre := 0
	for pre < len(xs) && pre < len(ys) && xs[pre] == ys[pre] {
		pre++
	}
	suf := 0
	for suf < len(xs)-pre && suf < len(ys)-pre && xs[len(xs)-1-suf] == ys[len(ys)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{" ", i, i, xs[i]})
	}
	x, y := xs[pre:len(xs)-suf], ys[pre:len(ys)-suf]
	n, m := len(x), len(y)
	if (n+1)*(m+1) > maxLCS {
		for i := range x {
			ops = append(ops, diffOp{"-", pre + i, 0, x[i]})
		}
		for j := range y {
			ops = append(ops, diffOp{"+", 0, pre + j, y[j]})
		}
	} else {
		t := make([][]int32, n+1)
		for i := range t {
			t[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if x[i] == y[j] {
					t[i][j] = t[i+1][j+1] + 1
				} else if t[i+1][j] >= t[i][j+1] {
					t[i][j] = t[i+1][j]
				} else {
					t[i][j] = t[i][j+1]
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && x[i] == y[j]:
				ops = append(ops, diffOp{" ", pre + i, pre + j, x[i]})
				i++
				j++
			case i < n && (j == m || t[i+1][j] >= t[i][j+1]):
				ops = append(ops, diffOp{"-", pre + i, pre + j, x[i]})
				i++
			default:
				ops = append(ops, diffOp{"+", pre + i, pre + j, y[j]})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		i, j := len(xs)-suf+k, len(ys)-suf+k
		ops = append(ops, diffOp{" ", i, j, xs[i]})
	}
	return ops
}
