package udkit

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/internal/budget"
)

// Budget bounds the work done on one document, whatever its shape: the
// bytes its gzip streams inflate to (the document, its parts, the gzip
// write_files content of its cloud-configs) and the YAML nodes and bytes
// its cloud-configs expand to once aliases are replaced by their anchors.
// One budget is shared by every stage and check that reads the document,
// and work done once (decoding one write_files content, linting one unit)
// is charged once, however many alias copies or checks ask for it. When it
// is spent, what is left unchecked is reported as an error.
//
// [Lint] makes one per call. Callers that decode, parse, validate and lint
// a document themselves pass one from [NewBudget] to
// userdata.Decode (Limits.Budget) and to cloudconfig's Parse, Validate,
// Lint and WriteFile.Data (cloudconfig.WithBudget).
type Budget = budget.Budget

// NewBudget returns the budget of one document with the default limits:
// 8 MiB of gzip output, 400,000 YAML nodes and 16 MiB of YAML text after
// alias expansion, for all its parts and checks together. That is more
// than any user data a cloud accepts needs, and keeps `udkit lint` of the
// worst 1 MiB input within a second or two and 128 MiB.
func NewBudget() *Budget { return budget.Default() }

// nodeFinder finds the nodes at YAML paths such as "write_files[2].path"
// in one document, as nodeAt does, with every mapping it searches indexed
// once: lint reports a finding per key of a mapping of 100,000 keys in
// linear, not quadratic, time.
type nodeFinder struct {
	root  *yaml.Node
	index map[*yaml.Node]map[string]*yaml.Node
}

func (f *nodeFinder) at(path string) *yaml.Node {
	cur := f.root
	for path != "" && cur != nil {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 || cur.Kind != yaml.SequenceNode {
				return cur
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || i < 0 || i >= len(cur.Content) {
				return cur
			}
			cur, path = cur.Content[i], strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		var key string
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			key, path = path, ""
		} else {
			key, path = path[:end], strings.TrimPrefix(path[end:], ".")
		}
		if cur.Kind != yaml.MappingNode {
			return cur
		}
		m, ok := f.index[cur]
		if !ok {
			m = make(map[string]*yaml.Node, len(cur.Content)/2)
			for i := 0; i+1 < len(cur.Content); i += 2 {
				m[cur.Content[i].Value] = cur.Content[i+1] // the last of duplicates, as cloud-init
			}
			if f.index == nil {
				f.index = map[*yaml.Node]map[string]*yaml.Node{}
			}
			f.index[cur] = m
		}
		next := m[key]
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}
