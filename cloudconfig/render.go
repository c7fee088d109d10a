package cloudconfig

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Marshal renders c as a cloud-config document: the "#cloud-config" line,
// then YAML with two-space indentation and exactly one trailing newline.
//
// Keys come in a fixed order: bootcmd, write_files, mounts, package_update,
// package_upgrade, packages, runcmd, final_message (the order cloud-init
// runs them in), then the Extra keys in their order. Empty fields are left
// out; an empty config renders as "{}". Multi-line strings are literal
// block scalars; strings that a YAML 1.1 or 1.2 reader would take for
// something else ("on", "0644", "a: b", "*x") are quoted; argv commands and
// mounts entries are flow sequences. The same Config always renders to the
// same bytes.
//
// Marshal does not validate: call [Config.Validate] for that. It fails only
// for what it cannot render faithfully: invalid UTF-8 in a string (use
// [WriteFile.SetData] for binary content), a nil Extra value, a duplicate
// Extra key, or an Extra key that repeats a typed field that is
// set.
func (c *Config) Marshal() ([]byte, error) {
	if len(c.Extra) == 0 && !c.anyTyped() {
		return []byte(Header + "\n{}\n"), nil
	}
	if out, ok := emitTyped(append(make([]byte, 0, 256+c.sizeHint()), Header+"\n"...), c); ok {
		return out, nil
	}
	root, err := c.node()
	if err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return []byte(Header + "\n{}\n"), nil
	}
	out := make([]byte, 0, 256+c.sizeHint())
	out = append(out, Header+"\n"...)
	out, why := emitYAMLWhy(out, root)
	switch why {
	case "":
		return out, nil
	case whyBadTag:
		return nil, errors.New("cloudconfig: an extra value has a tag that is not valid UTF-8; fix the tag of the yaml.Node")
	}
	return encodeV3(out, root)
}

// encodeV3 appends root as yaml.v3's Encoder writes it: what emitYAML
// produces, for the nodes emitYAML does not handle.
func encodeV3(out []byte, root *yaml.Node) ([]byte, error) {
	buf := bytes.NewBuffer(out)
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("cloudconfig: rendering YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cloudconfig: rendering YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// node builds the document's top-level mapping node.
func (c *Config) node() (*yaml.Node, error) {
	r := renderer{slab: make([]yaml.Node, 0, c.nodeCount())}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
	extra := map[string]int{}
	for i, f := range c.Extra {
		if _, dup := extra[f.Key]; dup {
			return nil, fmt.Errorf("cloudconfig: extra[%d]: duplicate key %s; keep one", i, f.Key)
		}
		if f.Value == nil {
			return nil, fmt.Errorf("cloudconfig: %s: extra value is nil; set a YAML node or remove the key", f.Key)
		}
		if !utf8.ValidString(f.Key) {
			return nil, fmt.Errorf("cloudconfig: extra[%d]: key is not valid UTF-8", i)
		}
		extra[f.Key] = i
	}
	add := func(key string, v *yaml.Node) {
		root.Content = append(root.Content, r.strNode(key, false), v)
	}
	for _, key := range typedKeys {
		v := r.typed(c, key)
		i, inExtra := extra[key]
		switch {
		case v != nil && inExtra:
			return nil, fmt.Errorf("cloudconfig: %s is set both in its typed field and in Extra; keep one", key)
		case v != nil:
			add(key, v)
		case inExtra:
			add(key, c.Extra[i].Value)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	for _, f := range c.Extra {
		if !isTypedKey(f.Key) {
			add(f.Key, f.Value)
		}
	}
	return root, nil
}

type renderer struct {
	err  error
	slab []yaml.Node // nodes handed out by node()
}

// newNode returns a zero node from r's slab: one allocation for many
// nodes.
func (r *renderer) newNode() *yaml.Node {
	if len(r.slab) == cap(r.slab) {
		r.slab = make([]yaml.Node, 0, 32)
	}
	r.slab = r.slab[:len(r.slab)+1]
	return &r.slab[len(r.slab)-1]
}

// strNode is strNode, from r's slab.
func (r *renderer) strNode(s string, inFlow bool) *yaml.Node {
	n := r.newNode()
	setStrNode(n, s, inFlow)
	return n
}

// index returns the path p[i], as fmt.Sprintf("%s[%d]", p, i) does, with
// one allocation.
func index(p string, i int) string {
	var buf [64]byte
	b := append(buf[:0], p...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ']')
	return string(b)
}

// npath names a string of the config in an error: key, key[i],
// key[i][j] or key[i].field (i, j < 0 when absent). It is turned into
// text only for an error.
type npath struct {
	key, fld string
	i, j     int
}

func (p npath) field(f string) npath { p.fld = f; return p }

func (p npath) String() string {
	s := p.key
	if p.i >= 0 {
		s += "[" + strconv.Itoa(p.i) + "]"
	}
	if p.j >= 0 {
		s += "[" + strconv.Itoa(p.j) + "]"
	}
	if p.fld != "" {
		s += "." + p.fld
	}
	return s
}

// str returns a string node, recording an error for invalid UTF-8.
func (r *renderer) str(path npath, s string, inFlow bool) *yaml.Node {
	if !utf8.ValidString(s) && r.err == nil {
		r.err = fmt.Errorf("cloudconfig: %s: not valid UTF-8; YAML cannot hold it (for write_files content use SetData, which encodes it)", path)
	}
	return r.strNode(s, inFlow)
}

func boolNode(b bool) *yaml.Node {
	v := "false"
	if b {
		v = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagBool, Value: v}
}

func (r *renderer) seq(flow bool) *yaml.Node {
	n := r.newNode()
	n.Kind, n.Tag = yaml.SequenceNode, tagSeq
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

// typed returns the node for the typed field key, or nil when it is empty.
func (r *renderer) typed(c *Config, key string) *yaml.Node {
	switch key {
	case "bootcmd":
		return r.commands(key, c.Bootcmd)
	case "runcmd":
		return r.commands(key, c.Runcmd)
	case "write_files":
		if len(c.WriteFiles) == 0 {
			return nil
		}
		s := r.seq(false)
		for i, f := range c.WriteFiles {
			s.Content = append(s.Content, r.writeFile(npath{key: "write_files", i: i, j: -1}, f))
		}
		return s
	case "mounts":
		if len(c.Mounts) == 0 {
			return nil
		}
		s := r.seq(false)
		for i, m := range c.Mounts {
			e := r.seq(true)
			for j, w := range m {
				e.Content = append(e.Content, r.str(npath{key: "mounts", i: i, j: j}, w, true))
			}
			s.Content = append(s.Content, e)
		}
		return s
	case "package_update":
		if c.PackageUpdate == nil {
			return nil
		}
		return boolNode(*c.PackageUpdate)
	case "package_upgrade":
		if c.PackageUpgrade == nil {
			return nil
		}
		return boolNode(*c.PackageUpgrade)
	case "packages":
		if len(c.Packages) == 0 {
			return nil
		}
		s := r.seq(false)
		for i, p := range c.Packages {
			s.Content = append(s.Content, r.str(npath{key: "packages", i: i, j: -1}, p, false))
		}
		return s
	case "final_message":
		if c.FinalMessage == "" {
			return nil
		}
		return r.str(npath{key: key, i: -1, j: -1}, c.FinalMessage, false)
	}
	panic("cloudconfig: internal error: no typed field " + key)
}

func (r *renderer) commands(key string, cmds []Command) *yaml.Node {
	if len(cmds) == 0 {
		return nil
	}
	s := r.seq(false)
	for i, c := range cmds {
		path := npath{key: key, i: i, j: -1}
		if c.IsShell() {
			s.Content = append(s.Content, r.str(path, c.Script, false))
			continue
		}
		// A multi-line argument cannot be a block scalar inside a flow
		// sequence: use a block sequence then, so it stays readable.
		flow := true
		for _, a := range c.Args {
			if strings.Contains(a, "\n") {
				flow = false
			}
		}
		e := r.seq(flow)
		for j, a := range c.Args {
			e.Content = append(e.Content, r.str(npath{key: key, i: i, j: j}, a, flow))
		}
		s.Content = append(s.Content, e)
	}
	return s
}

func (r *renderer) writeFile(path npath, f WriteFile) *yaml.Node {
	m := r.newNode()
	m.Kind, m.Tag = yaml.MappingNode, tagMap
	kv := func(k string, v *yaml.Node) { m.Content = append(m.Content, r.strNode(k, false), v) }
	kv("path", r.str(path.field("path"), f.Path, false))
	if f.Content != "" {
		kv("content", r.str(path.field("content"), f.Content, false))
	}
	if f.Encoding != "" {
		kv("encoding", r.str(path.field("encoding"), f.Encoding, false))
	}
	if f.Owner != "" {
		kv("owner", r.str(path.field("owner"), f.Owner, false))
	}
	if f.Permissions != "" {
		p := r.str(path.field("permissions"), f.Permissions, false)
		if p.Style == 0 {
			// Always quoted, as cloud-init's examples write it, so
			// the reader sees at once that it is an octal string.
			p.Style = yaml.SingleQuotedStyle
		}
		kv("permissions", p)
	}
	if f.Append {
		kv("append", boolNode(true))
	}
	if f.Defer {
		kv("defer", boolNode(true))
	}
	return m
}

// anyTyped reports whether some typed field of c is rendered.
func (c *Config) anyTyped() bool {
	for _, key := range typedKeys {
		if c.hasTyped(key) {
			return true
		}
	}
	return false
}

// nodeCount is about how many nodes node() makes for c's typed fields (a key
// and a value per field, entry and argument), so that they come from one
// slab.
func (c *Config) nodeCount() int {
	n := 16 + 10*len(c.WriteFiles) + len(c.Packages)
	for _, cmds := range [2][]Command{c.Bootcmd, c.Runcmd} {
		for _, cmd := range cmds {
			n += 1 + len(cmd.Args)
		}
	}
	for _, m := range c.Mounts {
		n += 1 + len(m)
	}
	return n
}

// sizeHint is a guess of the rendered size of c's typed fields, so that
// Marshal allocates its output once.
func (c *Config) sizeHint() int {
	n := 0
	for _, f := range c.WriteFiles {
		n += len(f.Path) + len(f.Content) + len(f.Content)/16 + 96
	}
	for _, cmd := range c.Runcmd {
		n += len(cmd.Script) + 16
		for _, a := range cmd.Args {
			n += len(a) + 4
		}
	}
	return n
}
