package userdata

import (
	"strconv"
)

// Content types cloud-init acts on. A part with any other content type is
// an encoding error unless [Options.AllowUnknownTypes] is set.
const (
	ContentCloudConfig        = "text/cloud-config"               // #cloud-config YAML
	ContentShellScript        = "text/x-shellscript"              // script run once per instance, sorted by filename
	ContentShellScriptPerBoot = "text/x-shellscript-per-boot"     // script run at every boot
	ContentShellScriptPerInst = "text/x-shellscript-per-instance" // script run once per instance
	ContentShellScriptPerOnce = "text/x-shellscript-per-once"     // script run once ever
	ContentBoothook           = "text/cloud-boothook"             // run very early, at every boot
	ContentPartHandler        = "text/part-handler"               // Python handler for custom types
	ContentIncludeURL         = "text/x-include-url"              // URLs whose content is included
	ContentIncludeOnceURL     = "text/x-include-once-url"         // URLs included once, then cached
	ContentCloudConfigArchive = "text/cloud-config-archive"       // YAML list of parts
	ContentJinja2             = "text/jinja2"                     // "## template: jinja" template
)

// Content types Decode can report but Encode does not take without
// AllowUnknownTypes.
const (
	// ContentCloudConfigJSONP is a JSON patch on the cloud-config
	// ("#cloud-config-jsonp"); cloud-init types a first line with it.
	ContentCloudConfigJSONP = "text/cloud-config-jsonp"
	// ContentPlain is what a MIME part without a (valid) Content-Type is,
	// and what cloud-init calls a text/plain part it cannot re-type.
	ContentPlain = "text/plain"
	// ContentNotMultipart is the type cloud-init gives a non-MIME document
	// whose first line it does not recognise.
	ContentNotMultipart = "text/x-not-multipart"
)

// MergeAppend is the X-Merge-Type that makes a cloud-config part append to
// the lists (runcmd, write_files, ...) of the parts before it and add keys
// without replacing them, instead of cloud-init's default
// dict(replace)+list()+str(), under which the later part's lists replace
// the earlier ones.
const MergeAppend = "list(append)+dict(no_replace,recurse_list)+str()"

// knownTypes are the content types Encode accepts without
// AllowUnknownTypes.
var knownTypes = map[string]bool{
	ContentCloudConfig:        true,
	ContentShellScript:        true,
	ContentShellScriptPerBoot: true,
	ContentShellScriptPerInst: true,
	ContentShellScriptPerOnce: true,
	ContentBoothook:           true,
	ContentPartHandler:        true,
	ContentIncludeURL:         true,
	ContentIncludeOnceURL:     true,
	ContentCloudConfigArchive: true,
	ContentJinja2:             true,
}

// KnownContentType reports whether cloud-init has a handler for the content
// type ct (one of the Content* constants other than ContentPlain and
// ContentNotMultipart, which it re-types from the first line).
func KnownContentType(ct string) bool { return knownTypes[ct] }

// IsShellScript reports whether ct is one of the shell-script content types,
// which cloud-init runs in the order of their filenames.
func IsShellScript(ct string) bool {
	switch ct {
	case ContentShellScript, ContentShellScriptPerBoot, ContentShellScriptPerInst, ContentShellScriptPerOnce:
		return true
	}
	return false
}

// Part is one part of a user-data document.
type Part struct {
	// ContentType is the MIME type, such as [ContentCloudConfig]. For a
	// decoded part it is the type cloud-init acts on, after re-typing
	// text/plain and text/x-shellscript parts from their first line.
	ContentType string
	// Filename is the Content-Disposition filename; empty when absent.
	// cloud-init names shell scripts after it and runs them sorted by it.
	Filename string
	// MergeType is the X-Merge-Type header, such as [MergeAppend]; empty
	// when absent (cloud-init's default merge then applies).
	MergeType string
	// Body is the payload, exactly as cloud-init hands it to its handler.
	Body []byte
}

// Document is an ordered list of parts.
type Document struct {
	Parts []Part
}

// Add appends a part and returns the document, for chaining.
func (d *Document) Add(contentType, filename string, body []byte) *Document {
	d.Parts = append(d.Parts, Part{ContentType: contentType, Filename: filename, Body: body})
	return d
}

// Label describes p as its headers name it, escaped for a terminal: the
// content type, and the filename in double quotes when there is one, as
// in `text/x-shellscript "register.sh"`. It is what
// [diag.Diagnostic.PartLabel] holds and what every udkit message about a
// part shows.
func (p Part) Label() string { return PartLabel(p.ContentType, p.Filename) }

// PartLabel is [Part.Label] of a part with content type ct and filename
// fn: the one place udkit formats a part's label. The values come from
// the user data's headers, so they pass through [QuoteHeader] and
// [strconv.QuoteToASCII]: a hostile header cannot put escape sequences,
// line breaks or look-alike letters into a message.
func PartLabel(ct, fn string) string {
	if fn == "" {
		return QuoteHeader(ct)
	}
	return QuoteHeader(ct) + " " + strconv.QuoteToASCII(fn)
}

// label names part i (0-based) in error messages the way users count
// them: `part 3 (text/x-shellscript "register.sh")`.
func label(i int, ct, filename string) string {
	return "part " + strconv.Itoa(i+1) + " (" + PartLabel(ct, filename) + ")"
}

// QuoteHeader makes a value taken from a MIME header (content type,
// filename, merge type: whatever the author of the user data wrote) safe
// to print on a terminal or in a one-line message. It returns s unchanged
// when s is printable ASCII without spaces or double quotes, and otherwise
// strconv.QuoteToASCII(s), so control characters, escape sequences, line
// breaks, bidirectional overrides and other non-ASCII text come out as Go
// escapes and the value's ends stay visible. The empty string is returned
// as is. (Unlike [diag.Quote], which keeps printable non-ASCII text, a
// header value is shown in ASCII: a MIME header is ASCII by definition, so
// a non-ASCII letter in one is worth seeing as such.)
func QuoteHeader(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' {
			return strconv.QuoteToASCII(s)
		}
	}
	return s
}
