package udkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/yamlerr"
	"github.com/udkit/udkit/userdata"
)

// MaxSpecSize is the largest spec file, or file it references, that
// ParseSpecFile reads.
const MaxSpecSize = 1 << 20

// SpecVersion is the version of the spec file format this udkit reads:
// a spec file's version: key, when it has one, must be this. A spec file
// without the key is read as this version.
const SpecVersion = 1

// SpecFile is a parsed YAML spec file: the spec and the output options it
// asks for. A spec file without an output section gives the zero
// [Options], as a Go caller does: the same spec renders to the same bytes.
type SpecFile struct {
	Spec   *Spec
	Output Options
}

// ReadSpecFile reads the YAML spec file at name. Files the spec refers to
// (script_file, content_file) are read relative to its directory and
// must lie inside it. An invalid spec gives a *SpecError whose File is
// name.
func ReadSpecFile(name string) (*SpecFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("udkit: %w", err) // *PathError names the file
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("udkit: %s: %w", name, err)
	}
	sf, err := ParseSpecFile(data, os.DirFS(filepath.Dir(name)))
	var se *SpecError
	if errors.As(err, &se) {
		se.File = name
	}
	return sf, err
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return nil, err
	}
	if n > MaxSpecSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, MaxSpecSize)
	}
	return buf.Bytes(), nil
}

// ParseSpecFile parses a YAML spec file (see docs/spec.md for the format).
// Files it refers to are read from dir; with a nil dir, a reference is an
// error. Unknown keys, wrong types and invalid values are reported all
// together in a *SpecError, each with its YAML path and line.
func ParseSpecFile(data []byte, dir fs.FS) (*SpecFile, error) {
	if len(data) > MaxSpecSize {
		return nil, &SpecError{Problems: diag.List{problem("(file)", "the spec is %d bytes, more than %d", len(data), MaxSpecSize)}}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, &SpecError{Problems: diag.List{yamlProblem(err)}}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		line := next.Line
		if err != nil {
			line = yamlProblem(err).Line
		}
		return nil, &SpecError{Problems: diag.List{problemAt(line, 0, "(file)", "a second YAML document (after ---); a spec file holds one")}}
	}
	d := &specDecoder{dir: dir, sf: &SpecFile{Spec: &Spec{}}}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &SpecError{Problems: diag.List{problemAt(1, 0, "(file)", "the spec is empty; give at least name and deregister")}}
	}
	d.data = data
	// An unknown version says why: the other problems would be noise.
	if top := root.Content[0]; top.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "version" {
				if d.version("version", top.Content[i+1]); len(d.probs) > 0 {
					return nil, &SpecError{Problems: d.probs}
				}
			}
		}
	}
	if !d.spec(root.Content[0]) {
		return nil, &SpecError{Problems: d.probs}
	}
	// Check the values too, except in fields that already failed to
	// decode (an undecodable command would also be reported missing).
	decodeProbs := len(d.probs)
	for _, p := range checkSpec(d.sf.Spec) {
		if d.failed(p.Path, decodeProbs) {
			continue
		}
		p.Line, p.Column = d.lineOf(p.Path), 0
		d.probs = append(d.probs, p)
	}
	if len(d.probs) > 0 {
		sort.SliceStable(d.probs, func(i, j int) bool { return d.probs[i].Line < d.probs[j].Line })
		return nil, &SpecError{Problems: d.probs}
	}
	return d.sf, nil
}

func yamlProblem(err error) diag.Diagnostic {
	line, msg := yamlerr.Split(err)
	return problemAt(line, 0, "(file)", "not valid YAML: %s", msg)
}

// problemAt is a problem of a spec file at a line and column.
func problemAt(line, col int, path, format string, args ...any) diag.Diagnostic {
	p := problem(path, format, args...)
	p.Line, p.Column = line, col
	return p
}

type specDecoder struct {
	data  []byte
	dir   fs.FS
	sf    *SpecFile
	probs diag.List
	lines map[string]int
}

func (d *specDecoder) errf(n *yaml.Node, path, format string, args ...any) {
	d.probs = append(d.probs, problemAt(n.Line, n.Column, path, format, args...))
}

// mark records the line of path, the first time only: a key's line, not
// the line its value starts on.
func (d *specDecoder) mark(path string, n *yaml.Node) {
	if d.lines == nil {
		d.lines = map[string]int{}
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
}

// lineOf returns the line of path or of its closest marked parent.
func (d *specDecoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// failed reports whether one of the first n problems (those found while
// decoding) is at path, inside it, or at one of its parents.
func (d *specDecoder) failed(path string, n int) bool {
	for _, p := range d.probs[:n] {
		if within(p.Path, path) || within(path, p.Path) {
			return true
		}
	}
	return false
}

func within(path, parent string) bool {
	return path == parent || strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "nothing"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fields decodes a mapping: each key must be one of the handlers', at most
// once.
func (d *specDecoder) fields(n *yaml.Node, path string, h map[string]func(string, *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			where = "(file)"
		}
		d.errf(n, where, "must be a mapping, not %s", kindName(n))
		return false
	}
	d.mark(path, n)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errf(k, path, "keys must be strings")
			continue
		}
		p := join(path, k.Value)
		f, ok := h[k.Value]
		if !ok {
			known := make([]string, 0, len(h))
			for name := range h {
				known = append(known, name)
			}
			sort.Strings(known)
			d.errf(k, p, "unknown key; known keys here: %s", strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			d.errf(k, p, "given twice; keep one")
			continue
		}
		seen[k.Value] = true
		d.mark(p, k)
		f(p, v)
	}
	return true
}

func (d *specDecoder) str(path string, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errf(n, path, "must be a string, not %s (quote it)", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *specDecoder) boolean(path string, n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errf(n, path, "must be true or false, not %s", kindName(n))
		return false
	}
	return n.Value == "true"
}

func (d *specDecoder) strList(path string, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		d.errf(n, path, "must be a list of strings, not %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.mark(p, e)
		if s, ok := d.scalarWord(p, e); ok {
			out = append(out, s)
		}
	}
	return out
}

// scalarWord accepts a string or a number (a command argument such as 30)
// as its literal text.
func (d *specDecoder) scalarWord(path string, n *yaml.Node) (string, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!int" || n.Tag == "!!float") {
		return n.Value, true
	}
	d.errf(n, path, "must be a string, not %s (quote it)", kindName(n))
	return "", false
}

func (d *specDecoder) file(path string, n *yaml.Node) ([]byte, bool) {
	name, ok := d.str(path, n)
	if !ok {
		return nil, false
	}
	if d.dir == nil {
		d.errf(n, path, "cannot read %q: the spec was not read from a file; give the content inline", name)
		return nil, false
	}
	if !fs.ValidPath(name) {
		d.errf(n, path, "%q must be a relative path inside the spec's directory, without ..", name)
		return nil, false
	}
	data, err := readLimited(d.dir, name)
	if err != nil {
		d.errf(n, path, "%v (paths are relative to the spec file's directory)", err)
		return nil, false
	}
	return data, true
}

func (d *specDecoder) spec(n *yaml.Node) bool {
	s := d.sf.Spec
	ok := d.fields(n, "", map[string]func(string, *yaml.Node){
		"name": func(p string, v *yaml.Node) { s.Name, _ = d.str(p, v) },
		"register": func(p string, v *yaml.Node) {
			s.Register = &Action{}
			d.action(p, v, s.Register, true)
		},
		"deregister": func(p string, v *yaml.Node) {
			s.Deregister = &Action{}
			d.action(p, v, s.Deregister, false)
		},
		"mounts": func(p string, v *yaml.Node) { s.Mounts = d.strList(p, v) },
		"stop_timeout": func(p string, v *yaml.Node) {
			s.StopTimeout = d.duration(p, v)
		},
		"user": func(p string, v *yaml.Node) { s.User, _ = d.str(p, v) },
		"environment": func(p string, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				d.errf(v, p, "must be a mapping of NAME: value, not %s", kindName(v))
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				kp := join(p, k.Value)
				d.mark(kp, k)
				if k.Kind != yaml.ScalarNode {
					d.errf(k, p, "keys must be variable names")
					continue
				}
				w, ok := d.scalarWord(kp, val)
				if ok {
					s.Environment = append(s.Environment, EnvVar{Name: k.Value, Value: w})
				}
			}
		},
		"files": func(p string, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.errf(v, p, "must be a list of files, not %s", kindName(v))
				return
			}
			for i, e := range v.Content {
				s.Files = append(s.Files, d.writeFile(fmt.Sprintf("%s[%d]", p, i), e))
			}
		},
		"cloud_config": func(p string, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				d.errf(v, p, "must be a mapping of cloud-config keys, not %s", kindName(v))
				return
			}
			// Read from the spec's own nodes: positions in cloud-config
			// findings are lines of the spec file, and the YAML is not
			// decoded a second time.
			c, err := cloudconfig.ParseNode(v, len(d.data))
			if err != nil {
				var pe *cloudconfig.ParseError
				if errors.As(err, &pe) && pe.Line > 0 {
					d.probs = append(d.probs, problemAt(pe.Line, pe.Column, p, "%s", pe.Message))
				} else {
					d.errf(v, p, "%v", err)
				}
				return
			}
			if err := c.Validate(); err != nil {
				var ve *cloudconfig.ValidationError
				if errors.As(err, &ve) {
					for _, dg := range ve.Diagnostics {
						d.probs = append(d.probs, problemAt(dg.Line, dg.Column, p+"."+dg.Path, "%s", dg.Message))
					}
				} else {
					d.errf(v, p, "%v", err)
				}
			}
			s.CloudConfig = c
		},
		"parts": func(p string, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.errf(v, p, "must be a list of parts, not %s", kindName(v))
				return
			}
			for i, e := range v.Content {
				s.Parts = append(s.Parts, d.part(fmt.Sprintf("%s[%d]", p, i), e))
			}
		},
		"output":  func(p string, v *yaml.Node) { d.output(p, v) },
		"version": func(p string, v *yaml.Node) { d.version(p, v) },
		"ignore": func(p string, v *yaml.Node) {
			ids := d.strList(p, v)
			known := map[string]bool{}
			for _, r := range Rules() {
				known[r.ID] = true
			}
			for i, id := range ids {
				if !known[id] {
					d.errf(v.Content[i], fmt.Sprintf("%s[%d]", p, i), "unknown rule %s; udkit.Rules() and the rule table of docs/lint.md list the rules", diag.Quote(id))
				}
			}
			d.sf.Output.Ignore = ids
		},
		"registry": func(p string, v *yaml.Node) { s.Registry = d.registry(p, v) },
	})
	if !ok {
		return false
	}
	if s.Name == "" && !d.has("name") {
		d.errf(n, "name", "missing; give the instance's role, such as managed-server")
	}
	if !d.has("deregister") && !d.has("registry") {
		d.errf(n, "deregister", "missing; give the command or script that deregisters the instance, or a registry hook")
	}
	return true
}

func (d *specDecoder) has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

func (d *specDecoder) duration(p string, v *yaml.Node) time.Duration {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n <= 0 {
			d.errf(v, p, "%q: give a positive number of seconds or a duration such as 60s", v.Value)
			return 0
		}
		return time.Duration(n) * time.Second
	}
	s, ok := d.str(p, v)
	if !ok {
		return 0
	}
	t, err := time.ParseDuration(s)
	if err != nil || t <= 0 {
		d.errf(v, p, "%q: give a duration such as 60s or 1m30s", s)
		return 0
	}
	return t
}

func (d *specDecoder) action(p string, v *yaml.Node, a *Action, register bool) {
	h := map[string]func(string, *yaml.Node){
		"command": func(p string, v *yaml.Node) { a.Command = d.strList(p, v) },
		"script":  func(p string, v *yaml.Node) { a.Script, _ = d.str(p, v) },
		"script_file": func(p string, v *yaml.Node) {
			if b, ok := d.file(p, v); ok {
				a.Script = string(b)
			}
		},
		"path": func(p string, v *yaml.Node) { a.Path, _ = d.str(p, v) },
	}
	if register {
		h["every_boot"] = func(p string, v *yaml.Node) { a.EveryBoot = d.boolean(p, v) }
	}
	if !d.fields(v, p, h) {
		return
	}
	if d.has(p+".script") && d.has(p+".script_file") {
		d.errf(v, p, "give script or script_file, not both")
	}
}

func (d *specDecoder) writeFile(p string, v *yaml.Node) cloudconfig.WriteFile {
	var f cloudconfig.WriteFile
	var content []byte
	hasContent := false
	d.fields(v, p, map[string]func(string, *yaml.Node){
		"path":    func(p string, v *yaml.Node) { f.Path, _ = d.str(p, v) },
		"content": func(p string, v *yaml.Node) { s, _ := d.str(p, v); content, hasContent = []byte(s), true },
		"content_file": func(p string, v *yaml.Node) {
			if b, ok := d.file(p, v); ok {
				content, hasContent = b, true
			}
		},
		"owner":       func(p string, v *yaml.Node) { f.Owner, _ = d.str(p, v) },
		"permissions": func(p string, v *yaml.Node) { f.Permissions, _ = d.str(p, v) },
		"append":      func(p string, v *yaml.Node) { f.Append = d.boolean(p, v) },
		"defer":       func(p string, v *yaml.Node) { f.Defer = d.boolean(p, v) },
	})
	if v.Kind == yaml.MappingNode {
		if d.has(p+".content") && d.has(p+".content_file") {
			d.errf(v, p, "give content or content_file, not both")
		}
		if !d.has(p + ".path") {
			d.errf(v, p+".path", "missing; give the absolute path of the file")
		}
	}
	if hasContent {
		f.SetData(content)
	}
	return f
}

func (d *specDecoder) part(p string, v *yaml.Node) Part {
	var pt Part
	d.fields(v, p, map[string]func(string, *yaml.Node){
		"type":       func(p string, v *yaml.Node) { pt.ContentType, _ = d.str(p, v) },
		"filename":   func(p string, v *yaml.Node) { pt.Filename, _ = d.str(p, v) },
		"merge_type": func(p string, v *yaml.Node) { pt.MergeType, _ = d.str(p, v) },
		"content":    func(p string, v *yaml.Node) { s, _ := d.str(p, v); pt.Body = []byte(s) },
		"content_file": func(p string, v *yaml.Node) {
			if b, ok := d.file(p, v); ok {
				pt.Body = b
			}
		},
	})
	if v.Kind == yaml.MappingNode {
		if d.has(p+".content") && d.has(p+".content_file") {
			d.errf(v, p, "give content or content_file, not both")
		}
		if pt.ContentType != "" && pt.ContentType != userdata.ContentPlain && !userdata.KnownContentType(pt.ContentType) {
			d.errf(v, p+".type", "%q is not a content type cloud-init handles; use text/x-shellscript, text/cloud-config, text/cloud-boothook, ...", pt.ContentType)
		}
	}
	return pt
}

func (d *specDecoder) registry(p string, v *yaml.Node) *RegistryHook {
	r := &RegistryHook{}
	d.fields(v, p, map[string]func(string, *yaml.Node){
		"url":             func(p string, v *yaml.Node) { r.URL, _ = d.str(p, v) },
		"cluster":         func(p string, v *yaml.Node) { r.Cluster, _ = d.str(p, v) },
		"join_token_file": func(p string, v *yaml.Node) { r.JoinTokenFile, _ = d.str(p, v) },
		"join_token":      func(p string, v *yaml.Node) { r.JoinToken, _ = d.str(p, v) },
		"ca_file":         func(p string, v *yaml.Node) { r.CAFile, _ = d.str(p, v) },
		"ca":              func(p string, v *yaml.Node) { r.CA, _ = d.str(p, v) },
		"ca_content_file": func(p string, v *yaml.Node) {
			if b, ok := d.file(p, v); ok {
				r.CA = string(b)
			}
		},
		"state_dir":  func(p string, v *yaml.Node) { r.StateDir, _ = d.str(p, v) },
		"every_boot": func(p string, v *yaml.Node) { r.EveryBoot = d.boolean(p, v) },
		"renew":      func(p string, v *yaml.Node) { r.Renew = d.duration(p, v) },
		"labels": func(p string, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				d.errf(v, p, "must be a mapping of label: value, not %s", kindName(v))
				return
			}
			r.Labels = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				kp := join(p, k.Value)
				if w, ok := d.scalarWord(kp, val); ok {
					r.Labels[k.Value] = w
				}
			}
		},
	})
	if d.has(p+".ca") && d.has(p+".ca_content_file") {
		d.errf(v, p, "give ca or ca_content_file, not both")
	}
	return r
}

func (d *specDecoder) output(p string, v *yaml.Node) {
	o := &d.sf.Output
	d.fields(v, p, map[string]func(string, *yaml.Node){
		"gzip": func(p string, v *yaml.Node) {
			s, ok := d.str(p, v)
			if !ok {
				return
			}
			if err := o.Gzip.UnmarshalText([]byte(s)); err != nil {
				d.errf(v, p, "%s: use auto, always or never", diag.Quote(s))
			}
		},
		"compression": func(p string, v *yaml.Node) {
			if s, ok := d.str(p, v); ok {
				if err := o.Compression.UnmarshalText([]byte(s)); err != nil {
					d.errf(v, p, "%s", strings.TrimPrefix(err.Error(), "userdata: "))
				}
			}
		},
		"base64": func(p string, v *yaml.Node) { o.Base64 = d.boolean(p, v) },
		"limit": func(p string, v *yaml.Node) {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				d.errf(v, p, "must be a number of bytes, not %s (-1 for no limit)", kindName(v))
				return
			}
			n, err := strconv.Atoi(v.Value)
			if err != nil || n < -1 {
				d.errf(v, p, "%q: give a number of bytes, 0 for 16384 or -1 for no limit", v.Value)
				return
			}
			o.Limit = n
		},
		"accept_errors": func(p string, v *yaml.Node) { o.AcceptErrors = d.boolean(p, v) },
	})
}

// version checks the spec's version: key: absent or SpecVersion.
func (d *specDecoder) version(p string, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		d.errf(v, p, "must be a number, not %s: this udkit reads version %d", kindName(v), SpecVersion)
		return
	}
	if n, err := strconv.Atoi(v.Value); err != nil || n != SpecVersion {
		d.errf(v, p, "unknown spec version %s: this udkit reads version %d (a newer udkit may read this file)", diag.Quote(v.Value), SpecVersion)
	}
}
