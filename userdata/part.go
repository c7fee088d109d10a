package userdata

import (
	"fmt"
	"strconv"
)

// Content types cloud-init acts on. A part with any other content type is
// an encoding error unless [Options.AllowUnknownTypes] is set.
const (
	ContentCloudConfig          = "text/cloud-config"
	ContentShellScript          = "text/x-shellscript"
	ContentShellScriptPerBoot   = "text/x-shellscript-per-boot"
	ContentShellScriptPerInst   = "text/x-shellscript-per-instance"
	ContentShellScriptPerOnce   = "text/x-shellscript-per-once"
	ContentBoothook             = "text/cloud-boothook"
	ContentPartHandler          = "text/part-handler"
	ContentIncludeURL           = "text/x-include-url"
	ContentIncludeOnceURL       = "text/x-include-once-url"
	ContentCloudConfigArchive   = "text/cloud-config-archive"
	ContentJinja2               = "text/jinja2"
	ContentCloudConfigJSONP     = "text/cloud-config-jsonp"
	ContentPlain                = "text/plain"
	ContentNotMultipart         = "text/x-not-multipart"
	contentMultipartMixed       = "multipart/mixed"
	contentApplicationOctetStrm = "application/octet-stream"
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

// label names part i (0-based) in error messages the way users count
// them: `part 3 (text/x-shellscript "register.sh")`.
func label(i int, ct, filename string) string {
	if filename == "" {
		return fmt.Sprintf("part %d (%s)", i+1, ct)
	}
	return fmt.Sprintf("part %d (%s %s)", i+1, ct, strconv.Quote(filename))
}
