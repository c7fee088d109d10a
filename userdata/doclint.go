package userdata

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/udkit/udkit/diag"
)

// Rule ids of [LintDocument]: what cloud-init passes over in silence, or
// does otherwise than the document says.
const (
	RuleBOM                   = "bom"
	RuleMIMEVersionLate       = "mime-version-late"
	RuleMultipartNoBoundary   = "multipart-no-boundary"
	RuleMultipartNoParts      = "multipart-no-parts"
	RuleCloseDelimiterMissing = "close-delimiter-missing"
	RuleEpilogue              = "epilogue"
	RuleDuplicateContentType  = "duplicate-content-type"
	RuleFilenameUnsafe        = "filename-unsafe"
	RuleFilenameCollision     = "filename-collision"
	RuleMixedLineEndings      = "mixed-line-endings"
	RuleSizeEC2               = "size-ec2"
	RuleEmptyPart             = "empty-part"
	RuleEmptyUserData         = "empty-user-data"
	RuleShellNoShebang        = "shell-no-shebang"
	RuleForeignFormat         = "foreign-format"
	RuleUnhandledType         = "unhandled-type"
	RuleBase64Document        = "base64-document"
	RuleCloudConfigNotUTF8    = "cloud-config-not-utf8"
	RuleMessagePart           = "message-part"
)

// EC2MaxUserData is the most bytes of user data EC2 accepts, counted
// before base64 encoding.
const EC2MaxUserData = 16384

// DocumentRules documents the rules of [LintDocument], in a fixed order.
func DocumentRules() []diag.Rule {
	return []diag.Rule{
		{ID: RuleBOM, Severity: diag.Error, Doc: "The document starts with a UTF-8 byte order mark: cloud-init no longer recognises its first line (#cloud-config, #!, a MIME Content-Type) and ignores the document. A warning when the document is still MIME by a later MIME-Version line and its type survives."},
		{ID: RuleMIMEVersionLate, Severity: diag.Error, Doc: "MIME-Version appears only after byte 4096: cloud-init looks for it in the first 4096 bytes, reads the document as one unknown part and runs none of it."},
		{ID: RuleMultipartNoBoundary, Severity: diag.Error, Doc: "A multipart Content-Type without a boundary parameter: Python's parser cannot split it and cloud-init finds no parts in it."},
		{ID: RuleMultipartNoParts, Severity: diag.Error, Doc: "A multipart whose boundary never occurs as a delimiter line: cloud-init finds no parts in it."},
		{ID: RuleCloseDelimiterMissing, Severity: diag.Warning, Doc: "A multipart without its close delimiter (--BOUNDARY--): cloud-init keeps the parts, but a document that ends with an opening delimiter gets an empty phantom part, and a damaged close line becomes part of the last part's body."},
		{ID: RuleEpilogue, Severity: diag.Error, Doc: "Text after the close delimiter: cloud-init drops the epilogue, so whatever was appended there (often a second script) never runs."},
		{ID: RuleDuplicateContentType, Severity: diag.Error, Doc: "A part with two Content-Type headers: cloud-init uses the first and ignores the other. An error when they name different types, a warning when they agree."},
		{ID: RuleFilenameUnsafe, Severity: diag.Warning, Doc: "A script or boothook filename holding '/', line breaks or other characters that cloud-init's clean_filename removes or replaces: the script runs under another name, and its place in the run order can change."},
		{ID: RuleFilenameCollision, Severity: diag.Error, Doc: "Two script (or boothook) parts whose filenames differ but are the same after cloud-init's clean_filename: one file overwrites the other and only one runs."},
		{ID: RuleMixedLineEndings, Severity: diag.Warning, Doc: "The MIME structure (header and delimiter lines) mixes CRLF and LF: cloud-init's parser copes, other MIME readers and validators may not."},
		{ID: RuleSizeEC2, Severity: diag.Warning, Doc: "Over EC2's limit of 16384 bytes of user data (before base64): EC2 refuses to launch with it. Compress it (gzip) or fetch large files at boot."},
		{ID: RuleEmptyPart, Severity: diag.Warning, Doc: "A part whose body is empty or white space: cloud-init passes over it (an empty cloud-config part is logged as a failure)."},
		{ID: RuleEmptyUserData, Severity: diag.Info, Doc: "The user data is empty: cloud-init runs with its vendor and system configuration only."},
		{ID: RuleShellNoShebang, Severity: diag.Error, Doc: "A shell-script or boothook part whose body does not start with #!: cloud-init writes it to a file and executes it, and the kernel refuses (Exec format error), so the script never runs."},
		{ID: RuleForeignFormat, Severity: diag.Info, Doc: "Input for another boot agent (EC2Launch, cloudbase-init, Ignition, Bottlerocket): cloud-init ignores it; udkit names the format and checks nothing in it."},
		{ID: RuleUnhandledType, Severity: diag.Info, Doc: "A part of a type cloud-init has no handler for: it passes over the part unless a part handler in the document takes it (another agent may read it)."},
		{ID: RuleCloudConfigNotUTF8, Severity: diag.Error, Doc: "A cloud-config part whose payload is not UTF-8 (a charset parameter does not change that): cloud-init hands YAML the undecodable bytes as surrogates, PyYAML refuses them and none of the part's config is applied."},
		{ID: RuleMessagePart, Severity: diag.Warning, Doc: "A message/rfc822 (or other message/*) part: cloud-init hands its handlers the parts of the enclosed message twice (inside the part and attached on their own), so boothooks run twice and cloud-config lists merge twice. Send the parts directly."},
		{ID: RuleBase64Document, Severity: diag.Warning, Doc: "The whole document is base64: EC2's API and Azure decode it, but most datasources hand cloud-init the bytes as they are, and cloud-init does not decode them."},
	}
}

// mimeFacts is what the MIME parser noted that cloud-init passes over in
// silence: defects of the multipart structure, and the line endings of the
// header and delimiter lines.
type mimeFacts struct {
	defects      []mimeDefect
	crlf, lf, cr int
}

type defectKind int

const (
	defectNoBoundary defectKind = iota + 1 // multipart without boundary=
	defectNoStart                          // boundary never found
	defectNoClose                          // no close delimiter
	defectEpilogue                         // text after the close delimiter
)

type mimeDefect struct {
	kind defectKind
	at   int    // offset in the document
	text string // content type, separator or epilogue
}

func (f *mimeFacts) add(k defectKind, at int, text string) {
	f.defects = append(f.defects, mimeDefect{k, at, text})
}

// eol counts the line ending of a structural line.
func (f *mimeFacts) eol(line string) {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		f.crlf++
	case strings.HasSuffix(line, "\n"):
		f.lf++
	case strings.HasSuffix(line, "\r"):
		f.cr++
	}
}

// LintDocument reports what cloud-init passes over in silence or does
// otherwise than the document says, on the document as a whole and on its
// parts (see [DocumentRules]): input is the user data as given, d what
// [Decode] made of it. Findings carry the 1-based part they are about (0
// for the document) and, when the document was neither base64 nor gzip,
// the line in input.
func LintDocument(input []byte, d *Decoded) diag.List {
	var out diag.List
	plain := !d.Base64 && !d.Gzip
	doc := d.doc
	lineAt := func(off int) int {
		if !plain || off < 0 {
			return 0
		}
		off = min(off, len(doc))
		if off == len(doc) && off > 0 && doc[off-1] == '\n' {
			off-- // the end of the document: its last line
		}
		return bytes.Count(doc[:off], []byte("\n")) + 1
	}
	add := func(part int, line int, sev diag.Severity, rule, format string, args ...any) {
		dg := diag.Diagnostic{Part: part, Line: line, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...)}
		if part > 0 && d.MIME {
			p := d.Parts[part-1]
			dg.PartLabel = PartLabel(p.ContentType, p.Filename)
		} else {
			dg.Part = 0
		}
		out = append(out, dg)
	}

	if d.Base64 {
		add(0, 0, diag.Warning, RuleBase64Document, "the whole document is base64, which udkit decoded; EC2's API and Azure decode it before cloud-init sees it, but on other datasources (NoCloud, OpenStack, GCE, ...) cloud-init gets the base64 text and ignores it: give those the decoded bytes")
	}
	size := len(input)
	if d.Base64 {
		if raw, ok := maybeBase64(input); ok {
			size = len(raw)
		}
	}
	if size > EC2MaxUserData {
		add(0, 0, diag.Warning, RuleSizeEC2, "the user data is %d bytes, over EC2's limit of %d (counted before base64): EC2 refuses to launch with it; gzip the document or fetch large files at boot", size, EC2MaxUserData)
	}
	if len(bytes.TrimSpace(doc)) == 0 && !d.MIME {
		add(0, 0, diag.Info, RuleEmptyUserData, "the user data is empty: cloud-init runs with its vendor and system configuration only")
		return out
	}

	// The document's first bytes.
	if bytes.HasPrefix(doc, []byte("\xef\xbb\xbf")) {
		rest := doc[3:]
		switch {
		case !d.MIME:
			what := "its first line"
			if t := typeFromStartsWith(rest); t != "" {
				what = fmt.Sprintf("the %s it starts with", t)
			}
			add(0, 1, diag.Error, RuleBOM, "the document starts with a UTF-8 byte order mark (EF BB BF): cloud-init no longer recognises %s and ignores the whole document; save it without a BOM", what)
		case bytes.HasPrefix(bytes.ToLower(rest), []byte("content-type:")):
			add(0, 1, diag.Error, RuleBOM, "the document starts with a UTF-8 byte order mark (EF BB BF) glued to its Content-Type header: cloud-init's parser reads a header of another name, takes the document for one text/plain part and runs none of it; save it without a BOM")
		default:
			add(0, 1, diag.Warning, RuleBOM, "the document starts with a UTF-8 byte order mark (EF BB BF); cloud-init still reads it as MIME, but the first header's name includes the BOM: save it without a BOM")
		}
	}
	if !d.MIME {
		if i := indexFold(doc, "mime-version:"); i >= 4096 {
			add(0, lineAt(i), diag.Error, RuleMIMEVersionLate, "MIME-Version first appears at byte %d, but cloud-init looks for it only in the first 4096 bytes: it reads the document as one unknown part and runs none of it; move MIME-Version: 1.0 to the first header line", i)
		}
	}

	// The multipart structure.
	if f := d.facts; f != nil {
		for _, df := range f.defects {
			switch df.kind {
			case defectNoBoundary:
				add(0, 0, diag.Error, RuleMultipartNoBoundary, "the %s has no boundary parameter: cloud-init's parser cannot split it and finds no parts; add boundary=\"...\" naming the delimiter the parts use", QuoteHeader(df.text))
			case defectNoStart:
				add(0, 0, diag.Error, RuleMultipartNoParts, "no line is the delimiter %s: cloud-init finds no parts in the multipart; make the boundary parameter match the delimiter lines", strconv.QuoteToASCII(df.text))
			case defectNoClose:
				msg := fmt.Sprintf("the multipart has no close delimiter (%s); cloud-init keeps the parts it read", strconv.QuoteToASCII(df.text+"--"))
				if n := len(d.Parts); n > 0 && len(bytes.TrimSpace(d.Parts[n-1].Body)) == 0 {
					msg += fmt.Sprintf(", and the opening delimiter at the end makes an empty phantom part %d", n)
				} else if n > 0 {
					msg += fmt.Sprintf(", and part %d runs to the end of the document, with anything that follows it", n)
				}
				add(0, lineAt(df.at), diag.Warning, RuleCloseDelimiterMissing, "%s: end the document with %s", msg, strconv.QuoteToASCII(df.text+"--"))
			case defectEpilogue:
				at := df.at + len(df.text) - len(strings.TrimLeft(df.text, " \t\r\n"))
				add(0, lineAt(at), diag.Error, RuleEpilogue, "%d bytes follow the close delimiter (%s): cloud-init drops everything after it, so that text never runs; move it into a part before the close delimiter", len(df.text), abbrevQuote(strings.TrimSpace(df.text)))
			}
		}
		if f.crlf > 0 && f.lf+f.cr > 0 {
			add(0, 0, diag.Warning, RuleMixedLineEndings, "the MIME header and delimiter lines mix CRLF (%d lines) and LF (%d lines); cloud-init's parser copes, other MIME readers may not: use CRLF throughout the MIME structure", f.crlf, f.lf+f.cr)
		}
	}

	// The parts.
	phantom := -1
	if f := d.facts; f != nil {
		for _, df := range f.defects {
			if df.kind == defectNoClose && len(d.Parts) > 0 && len(bytes.TrimSpace(d.Parts[len(d.Parts)-1].Body)) == 0 {
				phantom = len(d.Parts) - 1
			}
		}
	}
	type scriptName struct {
		part int
		raw  string
	}
	cleaned := map[string]scriptName{} // dir + "/" + clean name -> first part
	for i, p := range d.Parts {
		n := i + 1
		if i < len(d.ctHeaders) && len(d.ctHeaders[i]) > 1 {
			vals := d.ctHeaders[i]
			sev := diag.Warning
			first := mediaType(vals[0])
			for _, v := range vals[1:] {
				if mediaType(v) != first {
					sev = diag.Error
				}
			}
			quoted := make([]string, len(vals))
			for j, v := range vals {
				quoted[j] = QuoteHeader(v)
			}
			add(n, 0, sev, RuleDuplicateContentType, "the part has %d Content-Type headers (%s); cloud-init uses the first and ignores the others: keep one", len(vals), strings.Join(quoted, ", "))
		}
		if maintype(p.ContentType) == "message" {
			add(n, 0, diag.Warning, RuleMessagePart, "cloud-init walks into this %s part and hands its handlers the parts inside it twice (once inside it, once attached on their own): boothooks run twice and cloud-config lists merge twice; send the parts directly instead", QuoteHeader(p.ContentType))
			continue
		}
		empty := len(bytes.TrimSpace(p.Body)) == 0
		if empty && i != phantom && d.MIME {
			add(n, 0, diag.Warning, RuleEmptyPart, "the part is empty: cloud-init passes over it; remove it")
		}
		if (p.ContentType == ContentCloudConfig || p.ContentType == ContentJinja2) && !utf8.Valid(p.Body) {
			add(n, 0, diag.Error, RuleCloudConfigNotUTF8, "the cloud-config is not UTF-8 at byte %d: cloud-init's YAML loader refuses the undecodable bytes and applies none of this part; save it as UTF-8 (a charset parameter does not help: cloud-init decodes every part as UTF-8)", invalidUTF8At(p.Body))
		}
		if name, ok := foreignFormat(p); ok {
			add(n, 0, diag.Info, RuleForeignFormat, "this is %s, not cloud-init input: cloud-init ignores it, and udkit checks nothing in it", name)
			continue
		}
		switch {
		case p.ContentType == ContentPlain || p.ContentType == ContentNotMultipart:
		case KnownContentType(p.ContentType) || p.ContentType == ContentCloudConfigJSONP:
		default:
			add(n, 0, diag.Info, RuleUnhandledType, "cloud-init has no handler for %s and passes over the part, unless a part handler in the document takes it (another agent may read it)", QuoteHeader(p.ContentType))
		}
		dir := scriptDir(p.ContentType)
		if dir == "" {
			continue
		}
		if !empty {
			body := bytes.ReplaceAll(p.Body, []byte("\r\n"), []byte("\n"))
			if p.ContentType == ContentBoothook {
				body = bytes.TrimLeft(bytes.TrimPrefix(body, []byte("#cloud-boothook")), " \t\r\n\v\f")
			}
			if !bytes.HasPrefix(body, []byte("#!")) {
				what := "does not start with #!"
				if bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("#!")) {
					what = "has white space before its #! line"
				}
				add(n, 0, diag.Error, RuleShellNoShebang, "the script %s: cloud-init writes it to a file and executes it, the kernel refuses (Exec format error) and it never runs; start it with a #! line such as #!/bin/sh", what)
			}
		}
		raw := p.Filename
		if raw == "" {
			raw = fmt.Sprintf("part-%03d", n)
		}
		clean := cleanFilename(raw)
		if clean != raw {
			add(n, 0, diag.Warning, RuleFilenameUnsafe, "cloud-init writes this script as %s, not %s (its clean_filename drops or replaces the other characters), which also decides where it sorts in the run order: use only letters, digits and . _ - ( )", strconv.QuoteToASCII(clean), strconv.QuoteToASCII(raw))
		}
		key := dir + "/" + clean
		if first, ok := cleaned[key]; ok && first.raw != raw {
			add(n, 0, diag.Error, RuleFilenameCollision, "cloud-init writes this script and part %d (%s) to the same file %s, so one overwrites the other and only one runs: rename one", first.part, strconv.QuoteToASCII(first.raw), strconv.QuoteToASCII(clean))
		} else if !ok {
			cleaned[key] = scriptName{n, raw}
		}
	}
	out.Sort()
	return out
}

// scriptDir names the directory cloud-init writes a part of type ct to
// under its clean filename, or "" when it writes no file for it.
func scriptDir(ct string) string {
	switch ct {
	case ContentShellScript:
		return "scripts"
	case ContentShellScriptPerBoot, ContentShellScriptPerInst, ContentShellScriptPerOnce:
		return ct
	case ContentBoothook:
		return "boothooks"
	}
	return ""
}

// cleanFilename is cloudinit.util.clean_filename: '/' becomes '_', every
// character other than ASCII letters, digits and _ - . ( ) is removed.
func cleanFilename(fn string) string {
	var b strings.Builder
	for _, r := range fn {
		switch {
		case r == '/':
			b.WriteByte('_')
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.()", r)):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foreignFormat recognises input meant for another boot agent in a part
// cloud-init does not act on (or runs as a script it cannot execute).
func foreignFormat(p Part) (string, bool) {
	switch p.ContentType {
	case ContentPlain, ContentNotMultipart, ContentShellScript, "text/x-cfninitdata":
	default:
		return "", false
	}
	body := bytes.TrimLeft(p.Body, " \t\r\n")
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		return "", false // the BOM rule speaks
	}
	low := strings.ToLower(string(body[:min(len(body), 64)]))
	switch {
	case strings.HasPrefix(low, "#ps1"):
		return "cloudbase-init PowerShell user data (" + strings.Fields(low)[0] + ", Windows)", true
	case strings.HasPrefix(low, "rem cmd"):
		return "cloudbase-init batch user data (rem cmd, Windows)", true
	}
	if p.ContentType == ContentShellScript || p.ContentType == "text/x-cfninitdata" {
		return "", false
	}
	switch {
	case strings.HasPrefix(low, "<powershell>") || strings.HasPrefix(low, "<script>") || strings.HasPrefix(low, "<persist>"):
		return "EC2Launch/EC2Config user data (<powershell>/<script> blocks, Windows)", true
	case strings.HasPrefix(low, "{") && bytes.Contains(body, []byte(`"ignition"`)):
		return "an Ignition config (JSON, read by Ignition on Fedora CoreOS, Flatcar, RHCOS)", true
	case strings.HasPrefix(low, "[settings"):
		return "Bottlerocket settings (TOML, read by Bottlerocket's apiserver)", true
	case hasTopKey(body, "version") && hasTopKey(body, "tasks"):
		return "an EC2Launch v2 agent config (YAML with version and tasks, Windows)", true
	}
	return "", false
}

func hasTopKey(body []byte, key string) bool {
	for _, k := range TopLevelKeys(body) {
		if k == key {
			return true
		}
	}
	return false
}

// mediaType returns the lower-case type/subtype of a Content-Type value.
func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// indexFold returns the first offset of the ASCII string key in b, any
// case, or -1.
func indexFold(b []byte, key string) int {
	for i := 0; i+len(key) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(key)], []byte(key)) {
			return i
		}
	}
	return -1
}

func abbrevQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.QuoteToASCII(s)
}
