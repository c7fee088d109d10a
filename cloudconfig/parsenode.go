package cloudconfig

import "gopkg.in/yaml.v3"

// ParseNode reads a cloud-config from n, a YAML mapping the caller has
// decoded already (the value of a key in a larger YAML file, such as the
// cloud_config of a udkit spec file), the way [Parse] reads a document's
// top-level mapping: aliases expanded within Parse's bounds (size is the
// size of the text n was decoded from), keys that are strings, no key
// twice. Errors are *[ParseError]s, and the Config keeps n's positions
// ([Config.Position]): lines of the caller's file, without decoding any
// YAML again.
func ParseNode(n *yaml.Node, size int) (*Config, error) {
	if n == nil {
		return nil, parseErrorf(0, 0, "no YAML node")
	}
	x := expander{nodes: maxNodes, bytes: expandedBytes(size), limit: expandedBytes(size), input: size}
	root, err := x.expand(n)
	if err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, parseErrorf(root.Line, root.Column, "must be a mapping of cloud-config keys, not %s", describe(root))
	}
	return fromRoot(root)
}
