package udkit

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/udkit/udkit/userdata"
)

// Kind is what [Lint] took its input for.
type Kind int

const (
	// KindUserData is user data as cloud-init reads it: MIME multipart,
	// gzip'd or base64-encoded, or a single document typed by its first
	// line other than cloud-config.
	KindUserData Kind = iota
	// KindCloudConfig is a single cloud-config document.
	KindCloudConfig
	// KindUnit is a systemd unit file.
	KindUnit
)

// String returns "user data", "cloud-config" or "unit".
func (k Kind) String() string {
	switch k {
	case KindCloudConfig:
		return "cloud-config"
	case KindUnit:
		return "unit"
	}
	return "user data"
}

// DetectKind tells a unit file (its first line that is not blank or a
// comment is a [Section] header) from a plain cloud-config document (its
// first line is #cloud-config) and from anything else, which is user data.
func DetectKind(data []byte) Kind {
	rest := data
	for len(rest) > 0 {
		line, tail, _ := bytes.Cut(rest, []byte("\n"))
		rest = tail
		t := strings.TrimSpace(string(line))
		if t == "" {
			continue
		}
		if foreignOrTemplate(t) {
			return KindUserData
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			return KindUnit
		}
		if strings.EqualFold(t, "#cloud-config") {
			return KindCloudConfig
		}
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			// A unit file may start with comments; a cloud-config
			// document may not (its header is the first line).
			continue
		}
		break
	}
	return KindUserData
}

// Lint checks user data, a cloud-config document or a systemd unit file
// (see [DetectKind]) with the rules of the userdata, cloudconfig and unit
// packages: in user data, every cloud-config part is validated and
// linted, and in every cloud-config, every systemd service written by
// write_files that has an ExecStop= line is linted as a stop hook.
//
// Diagnostics carry the line in data where it can be told: always for
// units and cloud-config documents, and for the parts of user data that is
// neither gzip'd nor base64-encoded and whose parts are sent as they are.
// Lint fails only when data cannot be decoded as user data.
func Lint(data []byte) (Kind, []Diagnostic, error) {
	switch k := DetectKind(data); k {
	case KindUnit:
		ds := lintUnitText(data)
		for i := range ds {
			ds[i].Where = "" // the line says it all
		}
		return k, ds, nil
	case KindCloudConfig:
		return k, byLine(lintCloudConfig(data)), nil
	}
	d, err := userdata.Decode(data, userdata.Limits{})
	if err != nil {
		return KindUserData, nil, fmt.Errorf("udkit: lint: %w", err)
	}
	doc := d.Document()
	var out []Diagnostic
	byPart := map[int][]Diagnostic{}
	for _, dg := range userdata.Lint(doc) {
		byPart[dg.Part] = append(byPart[dg.Part], Diagnostic{Severity: fromUserdata(dg.Severity), Rule: dg.Rule, Message: dg.Message})
	}
	docFindings := userdata.LintDocument(data, d)
	explained := explainedParts(d, docFindings)
	partLine := map[int]int{} // part -> line of its body in data
	for _, dg := range docFindings {
		out = append(out, fromDiag(dg))
	}
	from := 0 // search for part bodies from here on
	for i, p := range doc.Parts {
		n := i + 1
		// The line where the part's body starts in data, if it is there
		// as it is.
		base := 0
		if !d.Base64 && !d.Gzip && len(p.Body) > 0 {
			if j := bytes.Index(data[from:], p.Body); j >= 0 {
				base = bytes.Count(data[:from+j], []byte("\n")) + 1
				from += j + len(p.Body)
			}
		}
		partLine[n] = base
		var ds []Diagnostic
		for _, dg := range byPart[n] {
			dg.Line = base
			ds = append(ds, dg)
		}
		if (p.ContentType == userdata.ContentNotMultipart || p.ContentType == userdata.ContentPlain) && !explained[n] {
			msg := "cloud-init ignores this part: its first line is none of #cloud-config, #!, #cloud-boothook, #include, #part-handler, ## template: jinja; start it with the header of what it is"
			if detectSpecFile(p.Body) {
				msg += " (this looks like a udkit spec file: `udkit render` turns it into user data)"
			}
			ds = append(ds, Diagnostic{Line: base, Severity: Error, Rule: RuleIgnoredPart, Message: msg})
		}
		body, shift, check := cloudConfigBody(p)
		if check != "" {
			ds = append(ds, Diagnostic{Line: base, Severity: Info, Rule: RuleTemplateNotChecked, Message: check})
		}
		if body != nil {
			for _, dg := range lintCloudConfig(body) {
				if dg.Line > 0 {
					dg.Line = max(dg.Line-shift, 1)
				}
				if base > 0 && dg.Line > 0 {
					dg.Line += base - 1
				} else {
					dg.Line = base
				}
				ds = append(ds, dg)
			}
		}
		for _, dg := range ds {
			if d.MIME {
				dg.Part = n
				dg.PartName = partName(p)
			}
			out = append(out, dg)
		}
	}
	// Findings about a part without a line of their own point at the
	// part's body.
	for i := range out {
		if out[i].Line == 0 && out[i].Part > 0 {
			out[i].Line = partLine[out[i].Part]
		}
	}
	return KindUserData, byLine(out), nil
}

// RuleIgnoredPart is the rule id of the [Lint] error about a part that
// cloud-init does not act on, because no known first line types it.
const RuleIgnoredPart = "ignored-part"

// detectSpecFile reports whether data looks like a udkit spec file: a
// YAML mapping whose first key, after comments, is "name:" and which has
// a "deregister:" or "registry:" key at the top level.
func detectSpecFile(data []byte) bool {
	first := ""
	hook := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimRight(line, " \t\r")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if first == "" {
			first = t
		}
		if strings.HasPrefix(t, "deregister:") || strings.HasPrefix(t, "registry:") {
			hook = true
		}
	}
	return strings.HasPrefix(first, "name:") && hook
}

// byLine sorts diagnostics by part, then line (a finding without a line
// first), keeping the order of findings on the same line.
func byLine(ds []Diagnostic) []Diagnostic {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Part != ds[j].Part {
			return ds[i].Part < ds[j].Part
		}
		return ds[i].Line < ds[j].Line
	})
	return ds
}
