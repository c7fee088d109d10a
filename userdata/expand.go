package userdata

import (
	"strings"
	"unicode/utf8"
)

// TypeFromFirstLine returns the content type cloud-init gives a payload by
// its first line (cloudinit.handlers.type_from_starts_with: leading white
// space skipped, case ignored), such as [ContentCloudConfig] for
// "#cloud-config" or [ContentShellScript] for "#!", or "" when no known
// first line matches. cloud-init uses it to type a non-MIME document, to
// re-type text/plain and text/x-shellscript parts, and to type the
// entries of a #cloud-config-archive that have no type.
func TypeFromFirstLine(body []byte) string { return typeFromStartsWith(body) }

// LaunchIndex returns the Launch-Index header of part i (0-based) as
// cloud-init reads it, and whether the part has one. cloud-init hands a
// part with a launch index only to the instance of that ami-launch-index.
func (d *Decoded) LaunchIndex(i int) (string, bool) {
	if i < 0 || i >= len(d.launch) || d.launch[i] == nil {
		return "", false
	}
	return *d.launch[i], true
}

// Include is one URL of an include part.
type Include struct {
	// URL is the line as cloud-init fetches it, white space stripped.
	URL string
	// Once says the URL follows an #include-once line: cloud-init fetches
	// it once and then reads it from its cache.
	Once bool
}

// IncludeURLs returns the URLs cloud-init fetches for an include part
// (#include, #include-once, text/x-include-url, text/x-include-once-url),
// in order, the way cloudinit.user_data.UserDataProcessor._do_include
// reads the payload: one URL a line, an "#include" or "#include-once"
// prefix stripped (and switching include-once off or on for the lines
// that follow), other lines starting with # skipped, blank lines skipped.
// Nothing is fetched.
func IncludeURLs(body []byte) []Include {
	var out []Include
	once := false
	for _, line := range pySplitLines(string(body)) {
		low := pyLower(line)
		switch {
		case strings.HasPrefix(low, "#include-once"):
			line = pyLStrip(line[len("#include-once"):])
			once = true
		case strings.HasPrefix(low, "#include"):
			line = pyLStrip(line[len("#include"):])
			once = false
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		url := pyStrip(line)
		if url == "" {
			continue
		}
		out = append(out, Include{URL: url, Once: once})
	}
	return out
}

// pySplitLines is Python's str.splitlines() without keepends.
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		brk := 0
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			brk = n
		case '\r':
			brk = 1
			if i+1 < len(s) && s[i+1] == '\n' {
				brk = 2
			}
		}
		if brk == 0 {
			i += n
			continue
		}
		out = append(out, s[start:i])
		i += brk
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// pyLStrip is Python's str.lstrip() with no argument.
func pyLStrip(s string) string {
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		if (r == utf8.RuneError && n == 1) || !pyIsSpace(r) {
			break
		}
		s = s[n:]
	}
	return s
}
