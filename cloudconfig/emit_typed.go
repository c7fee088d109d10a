package cloudconfig

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// emitTyped appends the YAML of c's typed fields to out, as emitYAML
// writes the tree node() builds for them, without building it: the
// scalars are styled by setStrNode into a node on the stack and written
// by the same emitter code. It handles configs without Extra keys whose
// strings are all valid UTF-8 (ok == false otherwise: node() and
// emitYAML then do the work and report what is wrong).
func emitTyped(out []byte, c *Config) (_ []byte, ok bool) {
	if len(c.Extra) > 0 || !c.validUTF8() {
		return out, false
	}
	e := emitter{out: out, indent: -1, whitespace: true, indention: true, ok: true}
	old := e.increaseIndent(false, stOther)
	for _, key := range typedKeys {
		if !c.hasTyped(key) {
			continue
		}
		e.writeIndent()
		e.str(key, false, stOther, true)
		e.writeIndicator(":", false, false, false)
		switch key {
		case "bootcmd":
			e.commands(c.Bootcmd)
		case "runcmd":
			e.commands(c.Runcmd)
		case "write_files":
			o := e.increaseIndent(false, stOther)
			for _, f := range c.WriteFiles {
				e.item()
				e.writeFile(f)
			}
			e.indent = o
		case "mounts":
			o := e.increaseIndent(false, stOther)
			for _, m := range c.Mounts {
				e.item()
				e.flowStrings(m, stBlockSeqItem, true)
			}
			e.indent = o
		case "package_update":
			e.boolean(*c.PackageUpdate)
		case "package_upgrade":
			e.boolean(*c.PackageUpgrade)
		case "packages":
			e.blockStrings(c.Packages, stOther)
		case "final_message":
			e.str(c.FinalMessage, false, stOther, false)
		}
	}
	e.indent = old
	if !e.ok {
		return out, false
	}
	e.indent = -1
	e.writeIndent()
	return e.out, true
}

// hasTyped reports whether node() renders the typed field key.
func (c *Config) hasTyped(key string) bool {
	switch key {
	case "bootcmd":
		return len(c.Bootcmd) > 0
	case "runcmd":
		return len(c.Runcmd) > 0
	case "write_files":
		return len(c.WriteFiles) > 0
	case "mounts":
		return len(c.Mounts) > 0
	case "package_update":
		return c.PackageUpdate != nil
	case "package_upgrade":
		return c.PackageUpgrade != nil
	case "packages":
		return len(c.Packages) > 0
	case "final_message":
		return c.FinalMessage != ""
	}
	return false
}

// validUTF8 reports whether every string of c's typed fields is valid
// UTF-8, which node() requires.
func (c *Config) validUTF8() bool {
	for _, cmds := range [2][]Command{c.Bootcmd, c.Runcmd} {
		for _, cmd := range cmds {
			if !utf8.ValidString(cmd.Script) {
				return false
			}
			for _, a := range cmd.Args {
				if !utf8.ValidString(a) {
					return false
				}
			}
		}
	}
	for _, f := range c.WriteFiles {
		if !utf8.ValidString(f.Path) || !utf8.ValidString(f.Content) || !utf8.ValidString(f.Encoding) ||
			!utf8.ValidString(f.Owner) || !utf8.ValidString(f.Permissions) {
			return false
		}
	}
	for _, m := range c.Mounts {
		for _, w := range m {
			if !utf8.ValidString(w) {
				return false
			}
		}
	}
	for _, p := range c.Packages {
		if !utf8.ValidString(p) {
			return false
		}
	}
	return utf8.ValidString(c.FinalMessage)
}

// str writes s as the scalar strNode(s, inFlow) in position p.
func (e *emitter) str(s string, inFlow bool, p parentState, simpleKey bool) {
	var n yaml.Node
	setStrNode(&n, s, inFlow)
	e.scalar(&n, p, simpleKey)
}

// permissions writes s as writeFile's permissions node: quoted.
func (e *emitter) permissions(s string) {
	var n yaml.Node
	setStrNode(&n, s, false)
	if n.Style == 0 {
		n.Style = yaml.SingleQuotedStyle
	}
	e.scalar(&n, stOther, false)
}

func (e *emitter) boolean(b bool) {
	n := yaml.Node{Kind: yaml.ScalarNode, Tag: tagBool, Value: "false"}
	if b {
		n.Value = "true"
	}
	e.scalar(&n, stOther, false)
}

// item starts an item of a block sequence.
func (e *emitter) item() {
	e.writeIndent()
	e.writeIndicator("-", true, false, true)
}

// blockStrings writes a block sequence of strings (never empty).
func (e *emitter) blockStrings(ss []string, p parentState) {
	o := e.increaseIndent(false, p)
	for _, s := range ss {
		e.item()
		e.str(s, false, stBlockSeqItem, false)
	}
	e.indent = o
}

// flowStrings writes a flow sequence of strings, styled with inFlow.
func (e *emitter) flowStrings(ss []string, p parentState, inFlow bool) {
	e.writeIndicator("[", true, true, false)
	o := e.increaseIndent(true, p)
	e.flowLevel++
	for i, s := range ss {
		if i > 0 {
			e.writeIndicator(",", false, false, false)
		}
		if e.column == 0 {
			e.writeIndent()
		}
		e.str(s, inFlow, stOther, false)
	}
	e.flowLevel--
	e.indent = o
	if e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator("]", false, false, false)
}

// commands writes bootcmd or runcmd as renderer.commands builds it.
func (e *emitter) commands(cmds []Command) {
	o := e.increaseIndent(false, stOther)
	for _, c := range cmds {
		e.item()
		if c.IsShell() {
			e.str(c.Script, false, stBlockSeqItem, false)
			continue
		}
		flow := true
		for _, a := range c.Args {
			if strings.Contains(a, "\n") {
				flow = false
			}
		}
		if flow || len(c.Args) == 0 {
			e.flowStrings(c.Args, stBlockSeqItem, flow)
		} else {
			e.blockStrings(c.Args, stBlockSeqItem)
		}
	}
	e.indent = o
}

// writeFile writes a write_files entry, an item of a block sequence, as
// renderer.writeFile builds it.
func (e *emitter) writeFile(f WriteFile) {
	o := e.increaseIndent(false, stBlockSeqItem)
	kv := func(k string) {
		e.writeIndent()
		e.str(k, false, stOther, true)
		e.writeIndicator(":", false, false, false)
	}
	kv("path")
	e.str(f.Path, false, stOther, false)
	if f.Content != "" {
		kv("content")
		e.str(f.Content, false, stOther, false)
	}
	if f.Encoding != "" {
		kv("encoding")
		e.str(f.Encoding, false, stOther, false)
	}
	if f.Owner != "" {
		kv("owner")
		e.str(f.Owner, false, stOther, false)
	}
	if f.Permissions != "" {
		kv("permissions")
		e.permissions(f.Permissions)
	}
	if f.Append {
		kv("append")
		e.boolean(true)
	}
	if f.Defer {
		kv("defer")
		e.boolean(true)
	}
	e.indent = o
}
