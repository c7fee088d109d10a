package semdiff

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// Bounds on the work of one diff, both documents and all their parts
// together, so that any input up to the size limit (1 MiB, 2 MiB once
// inflated) is compared within a second or two and 128 MiB:
//   - maxDiffWork is the most steps the line and list alignments may take
//     (Myers diagonals visited plus matching lines followed); past it, the
//     rest of an alignment is shown as replaced (every line - then every
//     line +).
//   - maxPartYAML is the largest cloud-config part compared by YAML path;
//     a larger one (its YAML tree takes about 200 bytes per node) is
//     compared line by line. maxDiffYAML bounds the cloud-config bytes
//     compared by YAML path in all parts together.
const (
	maxDiffWork = 32 << 20
	maxPartYAML = 128 << 10
	maxDiffYAML = 1 << 20
)

// differ collects the changes of one diff.
type differ struct {
	res  *Result
	hunk string
	a, b int // 1-based part numbers of the pair compared, 0 when absent
	// work is what is left of maxDiffWork.
	work int
	// yamlBytes is what is left of maxDiffYAML.
	yamlBytes int
	// keyProbes counts the mapping keys indexed and looked up: the work
	// of matching keys, which tests bound.
	keyProbes int
}

func (d *differ) add(sign, path, text string) {
	op := OpRemove
	if sign == "+" {
		op = OpAdd
	}
	d.res.Changes = append(d.res.Changes, Change{Hunk: d.hunk, PartA: d.a, PartB: d.b, Op: op, Path: path, Text: text})
}

func diffPart(out *differ, a, b userdata.Part) {
	if a.ContentType != b.ContentType {
		out.add("-", "content type", userdata.QuoteHeader(a.ContentType))
		out.add("+", "content type", userdata.QuoteHeader(b.ContentType))
	}
	if a.Filename != "" && b.Filename != "" && a.Filename != b.Filename {
		out.add("-", "filename", userdata.QuoteHeader(a.Filename))
		out.add("+", "filename", userdata.QuoteHeader(b.Filename))
	}
	if a.MergeType != b.MergeType {
		out.add("-", "merge type", userdata.QuoteHeader(a.MergeType))
		out.add("+", "merge type", userdata.QuoteHeader(b.MergeType))
	}
	if a.ContentType == userdata.ContentCloudConfig && b.ContentType == userdata.ContentCloudConfig &&
		max(len(a.Body), len(b.Body)) <= maxPartYAML && len(a.Body)+len(b.Body) <= out.yamlBytes {
		out.yamlBytes -= len(a.Body) + len(b.Body)
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
func diffNode(out *differ, path string, a, b *yaml.Node) {
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

// diffMapping compares two mappings key by key (the first of duplicate
// keys), in a's order then b's. Keys are looked up in an index: a linear
// search made 105,000 keys take minutes.
func diffMapping(out *differ, path string, a, b *yaml.Node) {
	out.keyProbes += len(a.Content) + len(b.Content) // indexed, then looked up once each
	index := func(m *yaml.Node) map[string]*yaml.Node {
		idx := make(map[string]*yaml.Node, len(m.Content)/2)
		for i := 0; i+1 < len(m.Content); i += 2 {
			if _, dup := idx[m.Content[i].Value]; !dup {
				idx[m.Content[i].Value] = m.Content[i+1]
			}
		}
		return idx
	}
	ia, ib := index(a), index(b)
	for i := 0; i+1 < len(a.Content); i += 2 {
		k := a.Content[i].Value
		p := joinPath(path, k)
		if v := ib[k]; v != nil {
			diffNode(out, p, a.Content[i+1], v)
		} else {
			out.add("-", p, flow(a.Content[i+1]))
		}
	}
	for i := 0; i+1 < len(b.Content); i += 2 {
		k := b.Content[i].Value
		if ia[k] == nil {
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
func diffByPath(out *differ, path string, a, b *yaml.Node) {
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
// a shortest edit script, so that one inserted runcmd entry shows as one
// added line.
func diffSequence(out *differ, path string, a, b *yaml.Node) {
	xs := make([]string, len(a.Content))
	for i, e := range a.Content {
		xs[i] = flow(e)
	}
	ys := make([]string, len(b.Content))
	for i, e := range b.Content {
		ys[i] = flow(e)
	}
	for _, op := range lineDiffWithin(xs, ys, &out.work) {
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
func diffUnit(out *differ, path, a, b string) {
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
	for _, op := range lineDiffWithin(flat(ua), flat(ub), &out.work) {
		if op.sign != " " {
			out.add(op.sign, path, op.text)
		}
	}
}

// diffText compares two texts line by line.
func diffText(out *differ, path, a, b string) {
	if a == b {
		return
	}
	for _, op := range lineDiffWithin(strings.Split(a, "\n"), strings.Split(b, "\n"), &out.work) {
		if op.sign != " " {
			out.add(op.sign, path, op.text)
		}
	}
}
