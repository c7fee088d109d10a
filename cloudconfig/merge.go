package cloudconfig

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// MergeAppend is the cloud-init merge type under which a later cloud-config
// part appends to the lists of earlier ones instead of replacing them. Set
// it as the X-Merge-Type header of every cloud-config part of a document
// that keeps more than one; without it, cloud-init's default
// "dict(replace)+list()+str()" lets a later part's runcmd or write_files
// replace the earlier one's.
const MergeAppend = "list(append)+dict(no_replace,recurse_list)+str()"

// Merge merges src into dst the way cloud-init merges a later cloud-config
// part (src) carrying the merge type [MergeAppend] into what it has
// accumulated so far (dst):
//
//   - a key only in src is added, after dst's keys;
//   - lists are appended to: dst's entries, then src's (runcmd, bootcmd,
//     write_files, packages, mounts, and lists inside extra keys);
//   - mappings present in both are merged recursively by the same rules;
//   - for any other value, dst's wins (str() and no_replace), except that a
//     string in dst is replaced when src has a list or mapping there.
//
// The result is re-read into dst's typed fields and Extra as [Parse] would.
// src is not modified and shares no memory with the result. A "merge_how"
// key inside src is not interpreted. Merge fails only when one of the
// configs cannot be rendered (see [Config.Marshal]).
func Merge(dst, src *Config) error {
	dn, err := dst.node()
	if err != nil {
		return fmt.Errorf("cloudconfig: merge: destination: %w", unprefix(err))
	}
	sn, err := src.node()
	if err != nil {
		return fmt.Errorf("cloudconfig: merge: source: %w", unprefix(err))
	}
	merged := mergeNode(copyNode(dn), copyNode(sn))
	c := &Config{}
	for i := 0; i+1 < len(merged.Content); i += 2 {
		k, v := merged.Content[i].Value, merged.Content[i+1]
		if !c.fit(k, v) {
			c.Extra = append(c.Extra, Field{Key: k, Value: v})
		}
	}
	*dst = *c
	return nil
}

// prefixless wraps an error whose message starts with "cloudconfig: " to
// drop that prefix when it is nested in another cloudconfig error.
type prefixless struct{ err error }

// Error returns the wrapped message without its package prefix.
func (p prefixless) Error() string {
	s := p.err.Error()
	const pre = "cloudconfig: "
	if len(s) > len(pre) && s[:len(pre)] == pre {
		return s[len(pre):]
	}
	return s
}

// Unwrap returns the wrapped error.
func (p prefixless) Unwrap() error { return p.err }

func unprefix(err error) error { return prefixless{err} }

// mergeNode is cloud-init's merger.merge(value, merge_with) for the merge
// type MergeAppend; it may reuse and modify old and new.
func mergeNode(old, new *yaml.Node) *yaml.Node {
	switch {
	case old.Kind == yaml.MappingNode:
		// dict(no_replace,recurse_list); recurse_dict is always on.
		if new.Kind != yaml.MappingNode {
			return old
		}
		for i := 0; i+1 < len(new.Content); i += 2 {
			k, v := new.Content[i], new.Content[i+1]
			j := mapIndex(old, k.Value)
			if j < 0 {
				old.Content = append(old.Content, k, v)
				continue
			}
			if v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode {
				old.Content[j+1] = mergeNode(old.Content[j+1], v)
			}
			// A string or other scalar in new: keep old (no
			// recurse_str, no_replace).
		}
		return old
	case old.Kind == yaml.SequenceNode:
		// list(append): Python's list.extend, which takes a mapping's
		// keys.
		switch new.Kind {
		case yaml.SequenceNode:
			old.Content = append(old.Content, new.Content...)
		case yaml.MappingNode:
			for i := 0; i < len(new.Content); i += 2 {
				old.Content = append(old.Content, new.Content[i])
			}
		}
		return old
	case old.Kind == yaml.ScalarNode && effectiveTag(old) == tagStr:
		// str(): _on_str returns merge_with when not appending.
		return new
	}
	// Numbers, booleans, null...: no merger handles them; old stays.
	return old
}

func mapIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// copyNode deep-copies n, following aliases (with a depth bound, since a
// hand-built node tree may contain a cycle).
func copyNode(n *yaml.Node) *yaml.Node {
	return copyNodeDepth(n, 0)
}

func copyNodeDepth(n *yaml.Node, depth int) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil && depth < 100 {
		return copyNodeDepth(n.Alias, depth+1)
	}
	c := *n
	c.Anchor = ""
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			c.Content[i] = copyNodeDepth(e, depth+1)
		}
	}
	return &c
}
