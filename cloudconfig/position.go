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
func (c *Config) locate(ds diag.List) {
	if c.src == nil {
		return
	}
	for i := range ds {
		if ds[i].Line == 0 {
			ds[i].Line, ds[i].Column = c.Position(ds[i].Path)
		}
	}
}

// nodeAt returns the node at a YAML path inside m, or nil when the path
// cannot be followed to its end.
func nodeAt(m *yaml.Node, path string) *yaml.Node {
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
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == key {
				next = cur.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}
