package udkit

import (
	"bytes"
	"strings"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

// RuleTemplateNotChecked is the rule id of the [Lint] note on a jinja
// template ("## template: jinja") that udkit cannot check without
// rendering it.
const RuleTemplateNotChecked = "template-not-checked"

// foreignOrTemplate reports whether a first line makes data user data
// for DetectKind although it looks like a unit section or a comment: a
// jinja template header, or a Bottlerocket TOML table.
func foreignOrTemplate(first string) bool {
	low := strings.ToLower(first)
	return strings.HasPrefix(low, "## template: jinja") || strings.HasPrefix(low, "[settings]") || strings.HasPrefix(low, "[settings.")
}

// explainedParts returns the parts (0 for a document that is not MIME)
// whose being ignored a document-level finding already names, so that
// Lint does not add an "ignored-part" error about them.
func explainedParts(d *userdata.Decoded, ds diag.List) map[int]bool {
	out := map[int]bool{}
	for _, dg := range ds {
		switch dg.Rule {
		case userdata.RuleBOM, userdata.RuleMIMEVersionLate, userdata.RuleEmptyUserData, userdata.RuleForeignFormat, userdata.RuleEmptyPart, userdata.RuleCloseDelimiterMissing:
		default:
			continue
		}
		if dg.Part > 0 {
			out[dg.Part] = true
		} else if !d.MIME {
			out[1] = true
		}
	}
	// The empty phantom part of a multipart without a close delimiter.
	for _, dg := range ds {
		if dg.Rule == userdata.RuleCloseDelimiterMissing && len(d.Parts) > 0 && len(bytes.TrimSpace(d.Parts[len(d.Parts)-1].Body)) == 0 {
			out[len(d.Parts)] = true
		}
	}
	if !d.MIME && len(d.Parts) == 1 && len(bytes.TrimSpace(d.Parts[0].Body)) == 0 {
		out[1] = true
	}
	return out
}

// cloudConfigBody returns the text Lint checks as cloud-config for part p
// and how many lines it is shifted against p's body (lines in the text
// minus lines in the body), or nil. cloud-init YAML-loads a part typed
// text/cloud-config by its Content-Type whether or not its first line is
// #cloud-config, so such a part is checked with the line added. An empty
// part is left to LintDocument. A jinja template is checked as the
// cloud-config after its first line when it holds no jinja syntax;
// otherwise note says it is not checked.
func cloudConfigBody(p userdata.Part) (body []byte, shift int, note string) {
	if len(bytes.TrimSpace(p.Body)) == 0 {
		return nil, 0, ""
	}
	switch p.ContentType {
	case userdata.ContentCloudConfig:
		if userdata.TypeFromFirstLine(p.Body) == userdata.ContentCloudConfig {
			return p.Body, 0, ""
		}
		return append([]byte("#cloud-config\n"), p.Body...), 1, ""
	case userdata.ContentJinja2:
		_, rest, _ := bytes.Cut(p.Body, []byte("\n"))
		if userdata.TypeFromFirstLine(rest) != userdata.ContentCloudConfig {
			return nil, 0, ""
		}
		if bytes.Contains(rest, []byte("{{")) || bytes.Contains(rest, []byte("{%")) || bytes.Contains(rest, []byte("{#")) {
			return nil, 0, "a jinja template: cloud-init renders it with the instance data at boot; udkit cannot render it and has not checked the cloud-config in it"
		}
		return rest, -1, ""
	}
	if isCloudConfig(p) {
		return p.Body, 0, ""
	}
	return nil, 0, ""
}
