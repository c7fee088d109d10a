package main

import (
	"fmt"
	"math"
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
		parts = append(parts, actedPart{Part: p, From: n})
	}
	for i := range parts {
		if parts[i].LaunchIndex == "" && parts[i].ContentType == userdata.ContentCloudConfig {
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
	if err := yaml.Unmarshal(body, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
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
		p := actedPart{Part: userdata.Part{ContentType: strings.ToLower(strings.TrimSpace(mtype)), Body: []byte(content)}}
		if f, ok := fields["filename"]; ok && f.Kind == yaml.ScalarNode {
			p.Filename = f.Value
		}
		if li, ok := fields["launch-index"]; ok && li.Kind == yaml.ScalarNode {
			p.LaunchIndex = li.Value
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
	if yaml.Unmarshal(body, &doc) != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
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
