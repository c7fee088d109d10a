package cloudconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/yamlerr"
)

// MaxSize is the largest document, in bytes, that [Parse] reads. User data
// is at most a few hundred kilobytes on every cloud (EC2 takes 16 KiB, GCE
// 256 KiB), so a larger document is a mistake or an attack.
const MaxSize = 1 << 20

// Bounds on what a document may expand to once its aliases are replaced by
// copies of their anchors, so that a few lines of anchors cannot take
// unbounded memory (nor make Lint, Validate and Marshal work on gigabytes).
//
// cloud-init's loader (PyYAML's safe_load) sets no such limit: it makes
// every alias a reference to the one object its anchor built, so loading
// takes memory in proportion to the input, and only what walks the loaded
// value (a JSON dump of it, a schema check) pays for each copy. Parse
// copies instead, so it refuses a document that expands to more than
// maxNodes nodes, or whose scalars add up to more than
// max(minExpandedBytes, expansionFactor × input size) bytes.
const (
	maxNodes         = 100000
	minExpandedBytes = 1 << 20
	expansionFactor  = 10
)

// expandedBytes is the budget of scalar bytes for a document of size n.
func expandedBytes(n int) int {
	return max(minExpandedBytes, expansionFactor*n)
}

// Parse reads a cloud-config document the way cloud-init does.
//
// The document must start with "#cloud-config" (cloud-init ignores leading
// white space and the case of the header; "#cloud-config-archive" and
// "#cloud-config-jsonp" are other formats). A document that starts with a
// UTF-8 byte order mark is rejected: cloud-init 22.4 does not recognise it
// as cloud-config (it types it text/x-not-multipart and ignores it), and in
// a MIME part declared text/cloud-config its user-data processor turns the
// BOM into the text "\ufeff", so the YAML does not load either. Jinja templates ("## template: jinja") are
// not rendered and are rejected too.
//
// Scalars are read with YAML 1.1 rules as cloud-init's PyYAML does (plain
// yes, on and 0644 are not strings). Aliases are expanded. Comments are
// dropped. Known keys whose values fit the typed fields fill them; the
// others are kept verbatim in Extra (see [Config]).
//
// Errors are *[ParseError]s, with the line and column where the YAML
// decoder gives them (yaml.v3 only reports the line of syntax errors).
// The returned Config keeps the position of every value it was read from,
// so that [Config.Validate] and [Lint] give their findings lines
// ([Config.Position]). Parse fails, although cloud-init
// would not, on a duplicate top-level key (PyYAML silently keeps the last
// one) and on a top-level key that is not a string.
//
// Parse refuses a document over [MaxSize] bytes, and one whose aliases
// expand to more than 100000 YAML nodes or to more scalar text than ten
// times its size (at least 1 MiB), where cloud-init itself sets no limit
// (see maxNodes). So a document with many aliases can parse while its
// rendering, which has them expanded, is over MaxSize and does not.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, parseErrorf(0, 0, "document is %d bytes, over the limit of %d (cloudconfig.MaxSize); user data is at most a few hundred kilobytes on every cloud: fetch large files at boot instead of writing them with write_files", len(data), MaxSize)
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, parseErrorf(1, 1, "document starts with a UTF-8 byte order mark; cloud-init does not recognise it as cloud-config and ignores the whole document: remove the BOM")
	}
	if err := checkHeader(data); err != nil {
		return nil, err
	}
	root, err := parseRoot(data)
	if err != nil {
		return nil, err
	}
	return fromRoot(root)
}

// fromRoot reads a config from its top-level mapping, aliases expanded.
func fromRoot(root *yaml.Node) (*Config, error) {
	c := &Config{src: root}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || effectiveTag(k) != tagStr {
			return nil, parseErrorf(k.Line, k.Column, "top-level key %s is not a string; cloud-init only reads string keys (quote it if it is meant to be one)", describe(k))
		}
		if prev, dup := seen[k.Value]; dup {
			return nil, parseErrorf(k.Line, k.Column, "duplicate key %s (first at line %d); cloud-init keeps only the last one and silently drops the first: merge them into one", k.Value, prev.Line)
		}
		seen[k.Value] = k
		if !c.fit(k.Value, v) {
			c.Extra = append(c.Extra, Field{Key: k.Value, Value: v})
		}
	}
	return c, nil
}

// parseRoot decodes the YAML of a cloud-config document into its top-level
// mapping node, aliases expanded and comments dropped.
func parseRoot(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, parseErrorf(1, 0, "document is empty after the #cloud-config line; cloud-init rejects that: write {} for an empty config")
		}
		return nil, syntaxError(err)
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		return nil, parseErrorf(second.Line, 0, "a second YAML document; cloud-init reads exactly one: remove the \"---\" separator")
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, parseErrorf(1, 0, "document is empty after the #cloud-config line; cloud-init rejects that: write {} for an empty config")
	}
	x := expander{nodes: maxNodes, bytes: expandedBytes(len(data)), limit: expandedBytes(len(data)), input: len(data)}
	root, err := x.expand(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if root.Kind == yaml.ScalarNode && effectiveTag(root) == tagNull {
		return nil, parseErrorf(root.Line, root.Column, "document is empty (null); cloud-init rejects that: write {} for an empty config")
	}
	if root.Kind != yaml.MappingNode {
		return nil, parseErrorf(root.Line, root.Column, "the document must be a mapping of keys to values, not %s", describe(root))
	}
	return root, nil
}

// syntaxHints says what to do about yaml.v3's commonest syntax errors.
var syntaxHints = []struct{ contains, hint string }{
	{"found character that cannot start any token", "a tab in the indentation, or a value starting with @ or `? indent with spaces and quote such values"},
	{"mapping values are not allowed in this context", "an unquoted value containing \": \"? quote it"},
	{"did not find expected key", "an indentation mistake, or an unquoted value containing \": \"? check the indentation, quote the value"},
	{"did not find expected ',' or ']'", "an unclosed [ list ], or an item containing , or ]? close the list or quote the item"},
	{"did not find expected ',' or '}'", "an unclosed { mapping }? close it or quote the value"},
	{"found unexpected end of stream", "an unclosed quote? close it"},
	{"could not find expected ':'", "a key without \":\", or a multi-line value that is not indented? check the line before"},
}

// syntaxError turns a yaml.v3 error into a *ParseError with a hint.
// yaml.v3 reports the line but not the column of a syntax error.
func syntaxError(err error) *ParseError {
	line, msg := yamlerr.Split(err)
	for _, h := range syntaxHints {
		if strings.Contains(msg, h.contains) {
			return parseErrorf(line, 0, "%s (%s)", msg, h.hint)
		}
	}
	return parseErrorf(line, 0, "%s", msg)
}

// checkHeader checks that data starts with a #cloud-config line the way
// cloud-init's type_from_starts_with does.
func checkHeader(data []byte) *ParseError {
	head := data
	if len(head) > 64 {
		head = head[:64]
	}
	lc := strings.ToLower(strings.TrimLeft(string(head), " \t\r\n\v\f"))
	switch {
	case strings.HasPrefix(lc, "#cloud-config-archive"), strings.HasPrefix(lc, "#cloud-config-jsonp"):
		return parseErrorf(1, 0, "this is a #cloud-config-archive or -jsonp document, not cloud-config")
	case strings.HasPrefix(lc, "## template: jinja"):
		return parseErrorf(1, 0, "a jinja template; render it first, Parse reads only plain cloud-config")
	case strings.HasPrefix(lc, "#cloud-config"):
		return nil
	}
	first, _, _ := strings.Cut(string(head), "\n")
	return parseErrorf(1, 0, "must start with %q for cloud-init to read it as cloud-config, found %s", Header, diag.Quote(first))
}

// describe names a node's kind and value for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch effectiveTag(n) {
		case tagStr:
			return fmt.Sprintf("the string %q", v)
		case tagNull:
			return "null"
		case tagBool:
			return "the boolean " + v
		case tagInt:
			return "the number " + v
		case tagFloat:
			return "the number " + v
		case tagTimestamp:
			return "the date " + v
		default:
			return fmt.Sprintf("%s %q", effectiveTag(n), v)
		}
	}
	return "an alias"
}

// expander copies a node tree with aliases replaced by copies of their
// anchors, comments dropped, at most nodes nodes and at most bytes bytes of
// scalar values (aliases counted once per copy).
type expander struct {
	nodes int
	bytes int
	limit int // the initial bytes, for the error message
	input int // size of the document, for the error message
	depth int
	alias *yaml.Node // the outermost alias being expanded, nil outside one
}

func (x *expander) expand(n *yaml.Node) (*yaml.Node, error) {
	x.nodes--
	if x.nodes < 0 {
		return nil, parseErrorf(n.Line, n.Column, "the document expands to more than %d YAML nodes (aliases?); cloud-config is never that large", maxNodes)
	}
	x.bytes -= len(n.Value)
	if x.bytes < 0 {
		at := n
		if x.alias != nil {
			at = x.alias
		}
		return nil, parseErrorf(at.Line, at.Column, "aliases expand the document to more than %d bytes of text, the limit for a %d-byte document (10 times its size, at least 1 MiB); repeat the value fewer times or write it out where it is needed", x.limit, x.input)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, parseErrorf(n.Line, n.Column, "unknown alias")
		}
		if x.alias == nil {
			x.alias = n
			defer func() { x.alias = nil }()
		}
		x.depth++
		defer func() { x.depth-- }()
		if x.depth > 100 {
			return nil, parseErrorf(n.Line, n.Column, "aliases nested more than 100 deep")
		}
		c, err := x.expand(n.Alias)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	if n.Kind == yaml.ScalarNode {
		tag := effectiveTag(n)
		if !safeTags[tag] {
			return nil, parseErrorf(n.Line, n.Column, "tag %s is not one cloud-init's YAML loader (yaml.safe_load) knows; it would reject the whole document", n.Tag)
		}
	} else if n.Style&yaml.TaggedStyle != 0 && !safeTags[longToShort(n.Tag)] {
		return nil, parseErrorf(n.Line, n.Column, "tag %s is not one cloud-init's YAML loader (yaml.safe_load) knows; it would reject the whole document", n.Tag)
	}
	c := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Line: n.Line, Column: n.Column}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "\n") {
		// yaml.v3's emitter does not write every multi-line value back
		// faithfully in the style it was read in (a literal block that
		// starts with a blank line loses it): use a literal block only
		// where that reads back exactly, double quotes otherwise.
		style := yaml.DoubleQuotedStyle
		if literalOK(n.Value) {
			style = yaml.LiteralStyle
		}
		c.Style = style | n.Style&yaml.TaggedStyle
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 && strings.ContainsAny(n.Value, ": \t") {
		// A sexagesimal number or a timestamp: the emitter quotes a
		// plain scalar with ':' or blanks in some places, which would
		// make it a string. An explicit tag keeps its meaning.
		if t := effectiveTag(n); t == tagInt || t == tagFloat || t == tagTimestamp {
			c.Tag, c.Style = t, yaml.TaggedStyle
		}
	}
	if n.Kind == yaml.ScalarNode && n.Style&^yaml.FlowStyle == 0 && n.Value == "" {
		// An empty plain scalar is null, but the encoder writes an
		// empty value as '' in flow context or as a key: spell it.
		c.Value, c.Tag, c.Style = "null", tagNull, 0
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 && n.Value == "<<" {
		// A merge key: without the tag the encoder writes it back
		// plain, as "<<", instead of "!!merge <<".
		c.Tag = ""
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			ec, err := x.expand(e)
			if err != nil {
				return nil, err
			}
			c.Content[i] = ec
		}
	}
	return c, nil
}

// fit fills the typed field for key from v, and reports whether v fitted.
// Nothing is changed when it does not.
func (c *Config) fit(key string, v *yaml.Node) bool {
	switch key {
	case "bootcmd", "runcmd":
		cmds, ok := fitCommands(v)
		if !ok {
			return false
		}
		if key == "bootcmd" {
			c.Bootcmd = cmds
		} else {
			c.Runcmd = cmds
		}
	case "write_files":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return false
		}
		files := make([]WriteFile, 0, len(v.Content))
		for _, e := range v.Content {
			f, ok := fitWriteFile(e)
			if !ok {
				return false
			}
			files = append(files, f)
		}
		c.WriteFiles = files
	case "mounts":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return false
		}
		mounts := make([][]string, 0, len(v.Content))
		for _, e := range v.Content {
			m, ok := fitStrings(e)
			if !ok || len(m) == 0 {
				return false
			}
			mounts = append(mounts, m)
		}
		c.Mounts = mounts
	case "packages":
		p, ok := fitStrings(v)
		if !ok || len(p) == 0 {
			return false
		}
		c.Packages = p
	case "package_update", "package_upgrade":
		b, ok := fitBool(v)
		if !ok {
			return false
		}
		if key == "package_update" {
			c.PackageUpdate = &b
		} else {
			c.PackageUpgrade = &b
		}
	case "final_message":
		s, ok := fitString(v)
		if !ok || s == "" {
			return false
		}
		c.FinalMessage = s
	default:
		return false
	}
	return true
}

func fitString(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || effectiveTag(n) != tagStr {
		return "", false
	}
	return n.Value, true
}

func fitBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode || effectiveTag(n) != tagBool {
		return false, false
	}
	switch n.Value {
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

func fitStrings(n *yaml.Node) ([]string, bool) {
	if n.Kind != yaml.SequenceNode {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		s, ok := fitString(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func fitCommands(n *yaml.Node) ([]Command, bool) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, false
	}
	cmds := make([]Command, 0, len(n.Content))
	for _, e := range n.Content {
		if s, ok := fitString(e); ok {
			if s == "" {
				return nil, false
			}
			cmds = append(cmds, Shell(s))
			continue
		}
		args, ok := fitStrings(e)
		if !ok || len(args) == 0 {
			return nil, false
		}
		cmds = append(cmds, Command{Args: args})
	}
	return cmds, true
}

func fitWriteFile(n *yaml.Node) (WriteFile, bool) {
	var f WriteFile
	if n.Kind != yaml.MappingNode {
		return f, false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := fitString(k)
		if !ok || seen[key] {
			return f, false
		}
		seen[key] = true
		switch key {
		case "path":
			f.Path, ok = fitString(v)
		case "content":
			f.Content, ok = fitString(v)
		case "encoding":
			f.Encoding, ok = fitString(v)
			ok = ok && f.Encoding != ""
		case "owner":
			f.Owner, ok = fitString(v)
			ok = ok && f.Owner != ""
		case "permissions":
			f.Permissions, ok = fitString(v)
			ok = ok && f.Permissions != ""
		case "append":
			f.Append, ok = fitBool(v)
		case "defer":
			f.Defer, ok = fitBool(v)
		default:
			ok = false
		}
		if !ok {
			return f, false
		}
	}
	return f, seen["path"]
}
