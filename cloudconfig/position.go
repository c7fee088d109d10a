package cloudconfig

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
)

// Position returns the 1-based line and column of the value at path, a
// YAML path such as "write_files[2].path" or "runcmd[0][1]" (the Path of
// a [diag.Diagnostic]), in the document c was parsed from. It returns 0,
// 0 for a Config built in Go, for a path the document does not have, and
// for one added since.
//
// Parse keeps the positions of what it read, so [Config.Validate] and
// [Lint] fill the Line and Column of their findings without reading the
// document again. A Config changed after Parse keeps them too: a value
// that was replaced reports the position of the value that was parsed.
func (c *Config) Position(path string) (line, column int) {
	if c == nil || c.src == nil {
		return 0, 0
	}
	n := nodeAt(c.src, path)
	if n == nil {
		return 0, 0
	}
	return n.Line, n.Column
}

// TextLine returns the line on which the text of the string at path
// starts, when the parsed document wrote it as a literal block scalar
// (`content: |`): line n of the string is then line TextLine+n-1 of the
// document. It returns 0 for any other style, where lines of the string
// do not map to lines of the document, and where [Config.Position] would
// return 0.
func (c *Config) TextLine(path string) int {
	if c == nil || c.src == nil {
		return 0
	}
	n := nodeAt(c.src, path)
	if n == nil || n.Kind != yaml.ScalarNode || n.Style&yaml.LiteralStyle == 0 {
		return 0
	}
	return n.Line + 1
}

// locate fills the Line and Column of findings from the parsed document.
// Every mapping it searches is indexed once, so that a finding for each
// key of a mapping of 100,000 keys takes linear, not quadratic, time.
func (c *Config) locate(ds diag.List) {
	if c.src == nil {
		return
	}
	var idx keyIndex
	for i := range ds {
		if ds[i].Line == 0 {
			if n := idx.nodeAt(c.src, ds[i].Path); n != nil {
				ds[i].Line, ds[i].Column = n.Line, n.Column
			}
		}
	}
}

// keyIndex maps the mappings searched by nodeAt to their keys' values
// (the last of duplicate keys, as cloud-init reads them).
type keyIndex map[*yaml.Node]map[string]*yaml.Node

// nodeAt returns the node at a YAML path inside m, or nil when the path
// cannot be followed to its end. A nil *keyIndex searches mappings key by
// key; otherwise each mapping of more than 32 keys is indexed the first
// time it is searched.
func nodeAt(m *yaml.Node, path string) *yaml.Node {
	return (*keyIndex)(nil).nodeAt(m, path)
}

func (idx *keyIndex) nodeAt(m *yaml.Node, path string) *yaml.Node {
	cur := m
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 || cur.Kind != yaml.SequenceNode {
				return nil
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || i < 0 || i >= len(cur.Content) {
				return nil
			}
			cur, path = cur.Content[i], strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		key := path
		if end := strings.IndexAny(path, ".["); end >= 0 {
			key, path = path[:end], strings.TrimPrefix(path[end:], ".")
		} else {
			path = ""
		}
		if cur.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		if idx != nil && len(cur.Content) > 64 {
			keys, ok := (*idx)[cur]
			if !ok {
				keys = make(map[string]*yaml.Node, len(cur.Content)/2)
				for i := 0; i+1 < len(cur.Content); i += 2 {
					keys[cur.Content[i].Value] = cur.Content[i+1]
				}
				if *idx == nil {
					*idx = keyIndex{}
				}
				(*idx)[cur] = keys
			}
			next = keys[key]
		} else {
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == key {
					next = cur.Content[i+1]
				}
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}
