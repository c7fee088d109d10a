package udkit

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/userdata"
)

// RuleArchiveInvalid is the rule id of the findings about a
// #cloud-config-archive that cloud-init does not expand as written: YAML
// that does not load as a list (cloud-init acts on none of its entries),
// or an entry cloud-init's user-data processor fails on (it then acts on
// none of the user data).
const RuleArchiveInvalid = userdata.RuleArchiveInvalid

// ArchiveEntry is one entry of a #cloud-config-archive as cloud-init's
// user-data processor makes a part of it.
type ArchiveEntry struct {
	// Part is the part: ContentType as Python's email reports it (the
	// entry's type, lower case, parameters dropped; typed by its first
	// line when it has none, text/cloud-config when no first line
	// matches), Filename, MergeType (its Merge-Type or X-Merge-Type key)
	// and Body (its content).
	userdata.Part
	// LaunchIndex is the entry's launch-index as cloud-init writes it into
	// the part's Launch-Index header (Python's str() of the YAML value);
	// HasLaunchIndex says the entry has the key (then it wins over a
	// launch-index inside the content, even when empty).
	LaunchIndex    string
	HasLaunchIndex bool
	// Index is the entry's 1-based position in the archive's list
	// (entries cloud-init skips, neither strings nor mappings, count).
	Index int
	// Line is the 1-based line of the archive body on which the entry's
	// content value starts (the entry's own line when it has no content);
	// Block says the content is a literal block (content: |), whose line
	// k is then line Line+k of the archive, indented by Indent columns.
	// An alias entry (- *name) has the alias's line and no Block.
	Line   int
	Block  bool
	Indent int
}

// ArchiveError is returned by [ExpandArchive] for an archive cloud-init
// does not expand as written.
type ArchiveError struct {
	// Entry is the 1-based entry cloud-init's processor raises an
	// exception on: it then acts on none of the user data, not only the
	// archive. 0 means the archive does not load as a YAML list, and
	// cloud-init acts on none of its entries (the rest of the user data
	// is acted on).
	Entry int
	// Empty says the archive holds no YAML at all (Entry is 0): cloud-init
	// acts on nothing, as written.
	Empty bool
	// Message says what is wrong and what to do.
	Message string
}

func (e *ArchiveError) Error() string {
	if e.Entry > 0 {
		return fmt.Sprintf("archive entry %d: %s", e.Entry, e.Message)
	}
	return e.Message
}

// errArchiveNotList is the message of an archive that is not a list.
const errArchiveNotList = "the #cloud-config-archive does not load as a YAML list: cloud-init acts on none of it; write a list of entries (content, type, filename)"

// ExpandArchive returns the parts cloud-init makes of a
// #cloud-config-archive (cloudinit.user_data.UserDataProcessor.
// _explode_archive, the same in cloud-init 22.4 and 25.1): body is a YAML
// list whose entries are strings (content) or mappings with content,
// type, filename, launch-index and further keys that become MIME headers;
// an alias entry is a copy of its anchor; other entries are skipped. An
// entry without a type is typed by its first line, text/cloud-config when
// none matches.
//
// It fails with an *[ArchiveError] when cloud-init does not expand body
// as written (see ArchiveError.Entry), and with a budget error when the
// entries, aliases expanded, need more than b allows: each entry is
// charged its YAML nodes (one, plus its keys and values) and the bytes of
// its content. A nil b sets no bound.
func ExpandArchive(body []byte, b *Budget) ([]ArchiveEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || !pyYAMLWouldLoad(doc.Content[0], body, false) {
		empty := err == nil && (len(doc.Content) == 0 || (len(doc.Content) == 1 && doc.Content[0].Tag == "!!null"))
		return nil, &ArchiveError{Empty: empty, Message: errArchiveNotList}
	}
	var out []ArchiveEntry
	bodies := map[*yaml.Node][]byte{} // one copy of each content node
	var lines [][]byte                // of body, split when a literal block needs them
	for k, ent := range doc.Content[0].Content {
		alias := ent.Kind == yaml.AliasNode
		line := ent.Line
		ent = deref(ent)
		// An entry costs its node and its keys and values, once per
		// alias copy: a mapping of many keys aliased many times is
		// bounded too.
		if err := b.Charge(budget.Nodes, 1+len(ent.Content)); err != nil {
			return nil, err
		}
		fields := map[string]*yaml.Node{}
		var keys []string
		switch {
		case ent.Kind == yaml.ScalarNode && ent.Tag == "!!str":
			fields["content"] = ent
			keys = []string{"content"}
		case ent.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(ent.Content); j += 2 {
				key := ent.Content[j].Value
				if _, dup := fields[key]; !dup {
					keys = append(keys, key)
				}
				fields[key] = deref(ent.Content[j+1])
			}
		default:
			continue
		}
		content := ""
		c, hasContent := fields["content"]
		if hasContent && c.Kind == yaml.ScalarNode {
			content = c.Value
		}
		mtype := ""
		if t, ok := fields["type"]; ok {
			switch {
			case !pyTruthy(t):
				// cloud-init types an entry whose type is null,
				// empty, 0 or false by its first line.
			case t.Kind == yaml.ScalarNode && t.Tag == "!!str" && !py11NonString(t):
				mtype = t.Value
			default:
				return nil, &ArchiveError{Entry: k + 1, Message: "type is not a string: cloud-init's processor fails on it and acts on none of the user data; write a type such as text/x-shellscript"}
			}
		}
		if mtype != "" && !strings.Contains(mtype, "/") {
			return nil, &ArchiveError{Entry: k + 1, Message: fmt.Sprintf("type %s has no '/': cloud-init's processor fails on it and acts on none of the user data; write a full type such as text/x-shellscript", diag.Quote(mtype))}
		}
		if hasContent && (c.Kind != yaml.ScalarNode || c.Tag != "!!str") && (mtype == "" || strings.HasPrefix(strings.ToLower(mtype), "text/")) {
			return nil, &ArchiveError{Entry: k + 1, Message: "content is not a string: cloud-init's processor fails on it and acts on none of the user data; quote it or write it as a block (content: |)"}
		}
		if mtype == "" {
			mtype = userdata.TypeFromFirstLine([]byte(content))
			if mtype == "" {
				mtype = userdata.ContentCloudConfig
			}
		}
		if err := b.Charge(budget.Bytes, len(content)); err != nil {
			return nil, err
		}
		e := ArchiveEntry{Part: userdata.Part{ContentType: mimeType(mtype)}, Index: k + 1, Line: line}
		if hasContent && c.Kind == yaml.ScalarNode {
			if bodies[c] == nil {
				bodies[c] = []byte(content)
			}
			e.Body = bodies[c]
			if !alias {
				e.Line, e.Block = c.Line, c.Style == yaml.LiteralStyle
				if e.Block {
					if lines == nil {
						lines = bytes.Split(body, []byte("\n"))
					}
					e.Indent = blockIndent(lines, c.Line)
				}
			}
		} else {
			e.Body = []byte{}
		}
		if f, ok := fields["filename"]; ok && f.Kind == yaml.ScalarNode {
			// _set_filename takes str() of the value: None for
			// null (filename: #comment), True for yes.
			e.Filename = pyStrNode(f)
		}
		if li, ok := fields["launch-index"]; ok && li.Kind == yaml.ScalarNode {
			e.LaunchIndex, e.HasLaunchIndex = pyStrNode(li), true
		}
		for _, key := range keys {
			switch strings.ToLower(key) {
			case "content", "filename", "type", "launch-index", "content-disposition", "number-attachments", "content-type":
				continue
			}
			// The other keys become MIME headers: cloud-init's
			// add_header takes a string or null, and raises on anything
			// else.
			if v := fields[key]; v.Kind != yaml.ScalarNode || (v.Tag != "!!str" && v.Tag != "!!null") || py11NonString(v) {
				return nil, &ArchiveError{Entry: k + 1, Message: fmt.Sprintf("the value of %s is not a string: cloud-init makes it a MIME header, fails on it and acts on none of the user data; quote it", diag.Quote(key))}
			}
		}
		for _, h := range []string{"Merge-Type", "X-Merge-Type"} {
			if v, ok := fields[h]; ok && v.Kind == yaml.ScalarNode && v.Value != "" {
				e.MergeType = v.Value
				break
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// blockIndent is the indentation of the first non-blank line after line
// (1-based) of lines: that of a literal block whose indicator is there.
func blockIndent(lines [][]byte, line int) int {
	for _, l := range lines[min(line, len(lines)):] {
		if t := bytes.TrimLeft(l, " "); len(bytes.TrimSpace(t)) > 0 {
			return len(l) - len(t)
		}
	}
	return 0
}

// pyTruthy is Python's truth value of a YAML node as PyYAML loads it:
// false for null, an empty string, list or mapping, a zero number and a
// false boolean.
func pyTruthy(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) > 0
	case yaml.ScalarNode:
	default:
		return true
	}
	if py11NonString(n) {
		return pyStrNode(n) == "True"
	}
	switch n.Tag {
	case "!!null":
		return false
	case "!!str":
		return n.Value != ""
	case "!!bool":
		b, _ := yaml11Bool(n.Value)
		return b
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(pyStrNode(n), "_", ""), 64)
		return err != nil || f != 0
	}
	return true
}

// deref returns the node an alias stands for (PyYAML gives the anchored
// object itself), n when it is no alias.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// PayloadLaunchIndex is the launch-index key of a cloud-config payload as
// cloud-init's _attach_launch_index reads it (str(int(value))), or "" when
// it has none that cloud-init can read. A Launch-Index header (or an
// archive entry's launch-index) wins over it.
func PayloadLaunchIndex(body []byte) string {
	var doc yaml.Node
	if yaml.Unmarshal(body, &doc) != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || !pyYAMLWouldLoad(doc.Content[0], body, true) {
		return ""
	}
	m := doc.Content[0]
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value != "launch-index" {
			continue
		}
		v := m.Content[j+1]
		if v.Kind != yaml.ScalarNode {
			return ""
		}
		if i, err := strconv.ParseInt(v.Value, 0, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		if f, err := strconv.ParseFloat(v.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.FormatInt(int64(f), 10)
		}
		return ""
	}
	return ""
}

// pyYAMLWouldLoad rejects the documents yaml.v3 loads although PyYAML,
// which cloud-init uses, fails on them: top-level keys that do not share
// one column, and a line indented less than the top level (yaml.v3 stops
// there without an error). With tabs, also a tab between a plain key and
// its colon (for a document whose lines are all YAML, not for one holding
// block scalars of other text). It is not a YAML validator; the
// differential tests against cloud-init say where more is needed.
func pyYAMLWouldLoad(root *yaml.Node, body []byte, tabs bool) bool {
	if root.Style&yaml.FlowStyle == 0 {
		indent := root.Column - 1
		if root.Kind == yaml.MappingNode {
			for i := 0; i < len(root.Content); i += 2 {
				if root.Content[i].Column-1 != indent {
					return false
				}
			}
		}
		var quoted map[int]bool
		for i, line := range strings.Split(string(body), "\n") {
			t := strings.TrimLeft(line, " ")
			if strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") {
				continue
			}
			if len(line)-len(t) < indent {
				// PyYAML does not look at the indentation of
				// the lines of a quoted scalar.
				if quoted == nil {
					quoted = quotedLines(root, body)
				}
				if !quoted[i+1] {
					return false
				}
			}
		}
	}
	if badBlockHeader(root, body) {
		return false
	}
	if tabs {
		for _, line := range strings.Split(string(body), "\n") {
			key, _, ok := strings.Cut(line, ":")
			if ok && strings.HasSuffix(key, "\t") && !strings.ContainsAny(key, "'\"#") {
				return false
			}
		}
	}
	return true
}

// pyStrNode is Python's str() of a YAML 1.1 scalar as PyYAML loads it,
// for the scalars whose reading differs from yaml.v3's: null (None),
// booleans (yes, on, True...), integers with a leading 0 (octal) or
// underscores.
func pyStrNode(n *yaml.Node) string {
	v := n.Value
	if n.Tag == "!!str" && n.Style != 0 {
		return v // quoted
	}
	if n.Tag == "!!null" {
		return "None"
	}
	if b, ok := yaml11Bool(v); ok && n.Style == 0 {
		if b {
			return "True"
		}
		return "False"
	}
	digits := strings.ReplaceAll(strings.TrimLeft(v, "+"), "_", "")
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	base := 10
	switch {
	case strings.HasPrefix(digits, "0x"):
		base, digits = 16, digits[2:]
	case strings.HasPrefix(digits, "0b"):
		base, digits = 2, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		base = 8
	}
	if i, err := strconv.ParseInt(digits, base, 64); err == nil && digits != "" {
		if neg {
			i = -i
		}
		return strconv.FormatInt(i, 10)
	}
	return v
}

// py11NonString reports whether a plain scalar yaml.v3 reads as a string
// is not one in YAML 1.1 (a boolean such as yes or off).
func py11NonString(n *yaml.Node) bool {
	if n.Tag != "!!str" || n.Style != 0 {
		return false
	}
	_, ok := yaml11Bool(n.Value)
	return ok
}

// yaml11Bool reads a plain scalar as PyYAML's YAML 1.1 resolver does: yes,
// no, true, false, on, off in lower, title or upper case are booleans
// (y and n are strings).
func yaml11Bool(v string) (value, ok bool) {
	switch v {
	case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return true, true
	case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// mimeType is the type Python's email reports for a Content-Type made of
// mtype (get_content_type): lower case, parameters dropped, text/plain
// when it is not one type/subtype.
func mimeType(mtype string) string {
	t, _, _ := strings.Cut(mtype, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if strings.Count(t, "/") != 1 {
		return "text/plain"
	}
	return t
}

// quotedLines returns the 1-based lines of body that continue a quoted
// scalar of the YAML tree at root (its lines after the first).
func quotedLines(root *yaml.Node, body []byte) map[int]bool {
	out := map[int]bool{}
	starts := make([]int, 1, 64) // offset of each line
	for i, c := range body {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 10000 {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 && n.Line >= 1 && n.Line <= len(starts) {
			q := byte('\'')
			if n.Style&yaml.DoubleQuotedStyle != 0 {
				q = '"'
			}
			i := starts[n.Line-1] + max(n.Column-1, 0)
			for i < len(body) && body[i] != q && body[i] != '\n' {
				i++ // the column counts characters, not bytes
			}
			line := n.Line
			for i++; i < len(body); i++ {
				c := body[i]
				if c == '\n' {
					line++
					out[line] = true
				} else if q == '"' && c == '\\' {
					if i+1 < len(body) && body[i+1] == '\n' {
						continue // an escaped line break: the newline is counted next
					}
					i++
				} else if c == q {
					if q == '\'' && i+1 < len(body) && body[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return out
}

// badBlockHeader reports whether a block scalar of the YAML tree at root
// (parsed from body) has a header that PyYAML refuses and yaml.v3
// accepts: an indicator followed by something that is neither a chomping
// or indentation indicator nor white space ("content: |#x"). Only the
// headers yaml.v3 parsed are looked at, not text inside a block that
// looks like one.
func badBlockHeader(root *yaml.Node, body []byte) bool {
	var lines [][]byte
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		if n == nil || depth > 10000 {
			return false
		}
		if n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			if lines == nil {
				lines = bytes.Split(body, []byte("\n"))
			}
			if n.Line >= 1 && n.Line <= len(lines) {
				line := lines[n.Line-1]
				if i := bytes.IndexAny(line[min(max(n.Column-1, 0), len(line)):], "|>"); i >= 0 && badHeaderRest(line[min(max(n.Column-1, 0), len(line))+i+1:]) {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(root, 0)
}

// badHeaderRest reports whether the text after a block scalar's
// indicator, up to the end of its line, is one PyYAML refuses: after an
// optional chomping (+ -) and an optional indentation digit, a character
// that is not white space.
func badHeaderRest(rest []byte) bool {
	k := 0
	if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
		k++
	}
	if k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
		k++
	}
	return k < len(rest) && !strings.ContainsRune(" \t\r\n0123456789+-", rune(rest[k]))
}
