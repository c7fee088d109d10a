package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

// actedPart is a part cloud-init hands one of its handlers: a decoded part,
// or an entry of a #cloud-config-archive.
type actedPart struct {
	userdata.Part
	// LaunchIndex is the Launch-Index cloud-init attaches to the part
	// (from an archive entry's launch-index, or from the launch-index key
	// of a cloud-config payload), "" when none.
	LaunchIndex string
	// From is the 1-based index of the decoded part it comes from; Entry
	// the 1-based archive entry, 0 when it is not from an archive.
	From, Entry int
	// hasLaunch says LaunchIndex comes from a header (which wins over the
	// payload, even when empty).
	hasLaunch bool
}

// includeURL is a URL an include part makes cloud-init fetch.
type includeURL struct {
	Part int // the decoded part
	userdata.Include
}

// RuleArchiveInvalid is the inspect warning about a #cloud-config-archive
// whose YAML does not load as a list: cloud-init acts on none of it.
const RuleArchiveInvalid = "archive-invalid"

// actOn returns what cloud-init's user-data processor makes of d
// (cloudinit.user_data.UserDataProcessor._process_msg): archives exploded
// into their entries in place, include parts replaced by the URLs they
// name (never fetched, so they add no parts here), launch indexes
// attached. warnings holds what it passes over.
func actOn(d *userdata.Decoded) (parts []actedPart, incs []includeURL, warnings diag.List, err error) {
	for i, p := range d.Parts {
		n := i + 1
		switch p.ContentType {
		case userdata.ContentIncludeURL, userdata.ContentIncludeOnceURL:
			for _, u := range userdata.IncludeURLs(p.Body) {
				incs = append(incs, includeURL{Part: n, Include: u})
			}
			continue
		case userdata.ContentCloudConfigArchive:
			entries, ok, err := explodeArchive(p.Body)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("part %d (%s): %v", n, userdata.ContentCloudConfigArchive, err)
			}
			if !ok {
				warnings = append(warnings, diag.Diagnostic{Part: n, Severity: diag.Warning, Rule: RuleArchiveInvalid,
					Message: "the #cloud-config-archive does not load as a YAML list: cloud-init acts on none of it; write a list of entries (content, type, filename)"})
			}
			for k, e := range entries {
				e.From, e.Entry = n, k+1
				parts = append(parts, e)
			}
			continue
		}
		a := actedPart{Part: p, From: n}
		a.LaunchIndex, a.hasLaunch = d.LaunchIndex(i)
		parts = append(parts, a)
	}
	for i := range parts {
		if !parts[i].hasLaunch && parts[i].ContentType == userdata.ContentCloudConfig {
			parts[i].LaunchIndex = payloadLaunchIndex(parts[i].Body)
		}
	}
	return parts, incs, warnings, nil
}

// explodeArchive is UserDataProcessor._explode_archive: body is a YAML
// list whose entries are strings (content) or mappings with content,
// type, filename, launch-index and further keys that become headers. An
// entry without a type is typed by its first line, text/cloud-config when
// none matches. ok is false when the YAML is not a list (cloud-init then
// acts on no entry). err is an entry on which cloud-init's processor
// raises an exception, so that it acts on no part of the document.
func explodeArchive(body []byte) (parts []actedPart, ok bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || !pyYAMLWouldLoad(doc.Content[0], body, false) {
		return nil, false, nil
	}
	for k, ent := range doc.Content[0].Content {
		fields := map[string]*yaml.Node{}
		var keys []string
		switch {
		case ent.Kind == yaml.ScalarNode && ent.Tag == "!!str":
			fields["content"] = ent
			keys = []string{"content"}
		case ent.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(ent.Content); j += 2 {
				k := ent.Content[j].Value
				if _, dup := fields[k]; !dup {
					keys = append(keys, k)
				}
				fields[k] = ent.Content[j+1]
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
		if t, ok := fields["type"]; ok && t.Kind == yaml.ScalarNode && t.Tag != "!!null" {
			mtype = t.Value
		}
		if mtype != "" && !strings.Contains(mtype, "/") {
			return nil, true, fmt.Errorf("archive entry %d: type %s has no '/': cloud-init's processor fails on it and acts on none of the user data; write a full type such as text/x-shellscript", k+1, diag.Quote(mtype))
		}
		if hasContent && (c.Kind != yaml.ScalarNode || c.Tag != "!!str") && (mtype == "" || strings.HasPrefix(strings.ToLower(mtype), "text/")) {
			return nil, true, fmt.Errorf("archive entry %d: content is not a string: cloud-init's processor fails on it and acts on none of the user data; quote it or write it as a block (content: |)", k+1)
		}
		if mtype == "" {
			mtype = userdata.TypeFromFirstLine([]byte(content))
			if mtype == "" {
				mtype = userdata.ContentCloudConfig
			}
		}
		p := actedPart{Part: userdata.Part{ContentType: mimeType(mtype), Body: []byte(content)}}
		if f, ok := fields["filename"]; ok && f.Kind == yaml.ScalarNode {
			p.Filename = f.Value
		}
		if li, ok := fields["launch-index"]; ok && li.Kind == yaml.ScalarNode {
			p.LaunchIndex, p.hasLaunch = pyStr(li), true
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
				return nil, true, fmt.Errorf("archive entry %d: the value of %s is not a string: cloud-init makes it a MIME header, fails on it and acts on none of the user data; quote it", k+1, diag.Quote(key))
			}
		}
		for _, h := range []string{"Merge-Type", "X-Merge-Type"} {
			if v, ok := fields[h]; ok && v.Kind == yaml.ScalarNode && v.Value != "" {
				p.MergeType = v.Value
				break
			}
		}
		parts = append(parts, p)
	}
	return parts, true, nil
}

// payloadLaunchIndex is the launch-index key of a cloud-config payload as
// cloud-init's _attach_launch_index reads it (str(int(value))), or "".
func payloadLaunchIndex(body []byte) string {
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

// archiveSpans describes, for the text output, which parts each archive
// became: "input part 1 (text/cloud-config-archive) became parts 1-3".
func archiveSpans(d *userdata.Decoded, parts []actedPart) []string {
	var out []string
	for i, p := range d.Parts {
		if p.ContentType != userdata.ContentCloudConfigArchive {
			continue
		}
		first, last := 0, 0
		for j, a := range parts {
			if a.From == i+1 && a.Entry > 0 {
				if first == 0 {
					first = j + 1
				}
				last = j + 1
			}
		}
		switch {
		case first == 0:
			out = append(out, fmt.Sprintf("archive: input part %d became no parts", i+1))
		case first == last:
			out = append(out, fmt.Sprintf("archive: input part %d became part %d", i+1, first))
		default:
			out = append(out, fmt.Sprintf("archive: input part %d became parts %d-%d", i+1, first, last))
		}
	}
	return out
}

// bodyOf returns the parts as a Decoded for extractParts.
func bodyOf(d *userdata.Decoded, parts []actedPart) *userdata.Decoded {
	out := &userdata.Decoded{Base64: d.Base64, Gzip: d.Gzip, MIME: d.MIME, Size: d.Size}
	for _, p := range parts {
		out.Parts = append(out.Parts, p.Part)
	}
	return out
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
		for _, line := range strings.Split(string(body), "\n") {
			t := strings.TrimLeft(line, " ")
			if strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") {
				continue
			}
			if len(line)-len(t) < indent {
				return false
			}
		}
	}
	if reBadBlockHeader.Match(body) {
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

// pyStr is Python's str() of a YAML 1.1 scalar as PyYAML loads it, for
// the scalars whose reading differs from yaml.v3's: booleans (yes, on,
// True...), integers with a leading 0 (octal) or underscores.
func pyStr(n *yaml.Node) string {
	v := n.Value
	if n.Tag == "!!str" && n.Style != 0 {
		return v // quoted
	}
	switch strings.ToLower(v) {
	case "yes", "on", "true":
		if n.Style == 0 {
			return "True"
		}
	case "no", "off", "false":
		if n.Style == 0 {
			return "False"
		}
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
	switch strings.ToLower(n.Value) {
	case "yes", "no", "on", "off", "y", "n":
		return true
	}
	return false
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

// reBadBlockHeader finds a block scalar indicator followed by something
// that is neither a chomping or indentation indicator nor white space
// ("content: |#x"), which PyYAML refuses and yaml.v3 accepts.
var reBadBlockHeader = regexp.MustCompile(`(?m)(?:^|:|-)[ ]+[|>][+-]?[0-9]?[^ \t\r\n0-9+-]`)
