package cloudconfig

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/budget"
)

// Validate checks c the way cloud-init's schema and modules would see it,
// and returns a *ValidationError listing every problem with its YAML path
// (and, when c came from [Parse], its line and column), in the order of
// the rendered document, or nil.
//
// It checks the typed fields (absolute, clean write_files paths outside
// /tmp, no two entries writing the same path, known encodings whose content
// decodes, owner syntax, octal permissions, non-empty commands...) and the
// known keys kept in Extra because their values did not fit the model
// (runcmd entries of the wrong type, unquoted permissions...). Other Extra
// keys are not checked.
//
// Gzip content is inflated within the budget of [WithBudget] (by default,
// one of the call's own); content past it is reported as not decodable.
func (c *Config) Validate(opts ...Option) error {
	o := collect(opts)
	v := &validator{gunzip: maxGunzip, budget: o.budget}
	extra := map[string]*yaml.Node{}
	for _, f := range c.Extra {
		extra[f.Key] = f.Value
	}
	nilExtra := func(key string) {
		v.errf(key, "extra-nil", "value is nil; set a YAML node or remove the key")
	}
	for _, key := range typedKeys {
		if n, ok := extra[key]; ok {
			if (&renderer{}).typed(c, key) != nil {
				v.errf(key, "extra-typed", "is set both in its typed field and in Extra; keep one")
			}
			if n == nil {
				nilExtra(key)
			} else {
				v.node(key, n)
			}
			continue
		}
		switch key {
		case "write_files":
			v.writeFiles(c.WriteFiles)
		case "bootcmd":
			v.commands(key, c.Bootcmd)
		case "runcmd":
			v.commands(key, c.Runcmd)
		case "packages":
			for i, p := range c.Packages {
				if !strOK(p, true) {
					v.str(index("packages", i), p, true)
				}
			}
		case "mounts":
			for i, m := range c.Mounts {
				p := index("mounts", i)
				v.mount(p, len(m))
				for j, f := range m {
					if !strOK(f, j == 0) {
						v.str(index(p, j), f, j == 0)
					}
				}
			}
		case "final_message":
			v.str(key, c.FinalMessage, false)
		}
	}
	for _, f := range c.Extra {
		if f.Value == nil && !isTypedKey(f.Key) {
			nilExtra(f.Key)
		}
	}
	if len(v.diags) == 0 {
		return nil
	}
	c.locate(v.diags)
	return &ValidationError{Diagnostics: v.diags}
}

type validator struct {
	diags  diag.List
	gunzip int // bytes gzip write_files content may still inflate to
	budget *budget.Budget
}

func (v *validator) errf(path, rule, format string, args ...any) {
	v.diags = append(v.diags, diag.Diagnostic{Path: path, Severity: diag.Error, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// warnf records a finding a real boot does not fail on: cloud-init does
// what the document says, but the value is against its schema or fragile.
func (v *validator) warnf(path, rule, format string, args ...any) {
	v.diags = append(v.diags, diag.Diagnostic{Path: path, Severity: diag.Warning, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// str checks that a string can be rendered and, if nonEmpty, is not empty.
// strOK reports whether str would find nothing wrong with s, so that
// callers build the path only when it does.
func strOK(s string, nonEmpty bool) bool {
	return !(nonEmpty && s == "") && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func (v *validator) str(path, s string, nonEmpty bool) bool {
	switch {
	case nonEmpty && s == "":
		v.errf(path, "empty", "is empty")
	case !utf8.ValidString(s):
		v.errf(path, "utf8", "not valid UTF-8; YAML cannot hold it (for write_files content use SetData, which encodes it)")
	case strings.ContainsRune(s, 0):
		v.errf(path, "nul", "contains a NUL byte")
	default:
		return true
	}
	return false
}

func (v *validator) mount(path string, n int) {
	switch {
	case n == 0:
		v.errf(path, "mount-fields", "is empty; give at least the device")
	case n > 6:
		v.errf(path, "mount-fields", "has %d fields; fstab entries have at most 6 (device, mount point, type, options, dump, pass)", n)
	}
}

func (v *validator) commands(key string, cmds []Command) {
	for i, c := range cmds {
		p := index(key, i)
		if c.IsShell() {
			if strings.TrimSpace(c.Script) == "" {
				v.errf(p, "command-empty", "empty shell command; remove it")
				continue
			}
			v.str(p, c.Script, true)
			continue
		}
		if len(c.Args) == 0 {
			v.errf(p, "command-empty", "empty argv list; remove it or give the program to run")
			continue
		}
		for j, a := range c.Args {
			if !strOK(a, j == 0) {
				v.str(index(p, j), a, j == 0)
			}
		}
	}
}

func (v *validator) writeFiles(files []WriteFile) {
	seen := map[string]int{}
	for i, f := range files {
		// The paths of findings are built only for findings: the
		// checks run with an empty path, and what they found gets
		// its path after (setPaths).
		p := func() string { return index("write_files", i) }
		n := len(v.diags)
		v.filePath("", f.Path)
		v.setPaths(n, p, ".path")
		if first, dup := seen[f.Path]; dup && f.Path != "" && !f.Append {
			v.errf(p()+".path", "path-duplicate", "%s is also written by write_files[%d]; this entry replaces that file: merge the two, or set append: true", f.Path, first)
		} else if !dup {
			seen[f.Path] = i
		}
		if _, ok := encodingKind(f.Encoding); !ok {
			v.errf(p()+".encoding", "encoding", "unknown encoding %q; cloud-init accepts %s", f.Encoding, encodingsList)
		} else if f.Encoding != "" {
			if _, err := f.decode(&v.gunzip, v.budget); err != nil {
				v.contentError(p()+".content", err, f.Encoding)
			}
		}
		if !strOK(f.Content, false) {
			v.str(p()+".content", f.Content, false)
		}
		if f.Owner != "" {
			n := len(v.diags)
			v.owner("", f.Owner)
			v.setPaths(n, p, ".owner")
		}
		if f.Permissions != "" {
			n := len(v.diags)
			v.permissions("", f.Permissions)
			v.setPaths(n, p, ".permissions")
		}
	}
}

// setPaths gives the findings from index from on, which a check made with
// an empty path, the path p()+sfx (the checks use their path as it is).
func (v *validator) setPaths(from int, p func() string, sfx string) {
	if from == len(v.diags) {
		return
	}
	path := p() + sfx
	for k := from; k < len(v.diags); k++ {
		v.diags[k].Path = path
	}
}

const encodingsList = "b64, base64, gz, gzip, gz+b64, gz+base64, gzip+b64, gzip+base64 and text/plain"

// contentError reports why a write_files content does not decode.
func (v *validator) contentError(p string, err error, enc string) {
	var ce *ContentError
	if errors.As(err, &ce) {
		v.errf(p, "content-encoding", "%s (encoding %s)", ce.Reason, enc)
		return
	}
	v.errf(p, "content-encoding", "%v (encoding %s)", err, enc)
}

func (v *validator) filePath(p, s string) {
	switch {
	case s == "":
		v.errf(p, "path-absolute", "is empty; give the absolute path of the file")
	case !v.str(p, s, true):
	case strings.ContainsAny(s, "\n\r"):
		v.errf(p, "path-newline", "contains a line break")
	case !strings.HasPrefix(s, "/"):
		v.errf(p, "path-absolute", "must be absolute: %q (cloud-init would resolve it against its own working directory)", s)
	case strings.HasSuffix(s, "/"):
		v.errf(p, "path-directory", "%s names a directory; give a file name", s)
	case path.Clean(s) != s:
		v.errf(p, "path-clean", "%s is not clean; write %s", s, path.Clean(s))
	case s == "/tmp" || strings.HasPrefix(s, "/tmp/"):
		v.warnf(p, "path-tmp", "%s is under /tmp, which is emptied at boot (often a tmpfs) while write_files runs only once per instance; use a path under /etc, /usr/local or /var/lib", s)
	}
}

// Names as useradd accepts them by default (NAME_REGEX), with the trailing
// $ of machine accounts.
var reName = regexp.MustCompile(`^[a-z_][a-z0-9_-]*\$?$`)

// isName is reName.MatchString(s) without the regular expression
// (TestMatchersSameAsRegexp holds it to reName).
func isName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] == '_') {
		return false
	}
	i := 1
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '$' {
		i++
	}
	return i == len(s)
}

func (v *validator) owner(p, s string) {
	user, group, hasGroup := strings.Cut(s, ":")
	check := func(what, name string) bool {
		switch {
		case name == "-1" || strings.EqualFold(name, "none"):
			// cloud-init's extract_usergroup: leave it unchanged.
			return true
		case name == "":
			v.errf(p, "owner", "%q has an empty %s name; write user or user:group", s, what)
		case isDigits(name):
			v.errf(p, "owner", "%q: numeric %s id %s; cloud-init looks owners up by name (getpwnam/getgrnam), so give the name", s, what, name)
		case !isName(name) || len(name) > 32:
			v.errf(p, "owner", "%q: %q is not a valid %s name; write user or user:group with names like app or app-data", s, name, what)
		default:
			return true
		}
		return false
	}
	if check("user", user) && hasGroup {
		check("group", group)
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

var reOctal = regexp.MustCompile(`^(?:0o|0)?[0-7]{1,4}$`)

// isOctalMode is reOctal.MatchString(s) without the regular expression
// (TestMatchersSameAsRegexp holds it to reOctal).
func isOctalMode(s string) bool {
	oct := func(t string) bool {
		if len(t) < 1 || len(t) > 4 {
			return false
		}
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '7' {
				return false
			}
		}
		return true
	}
	return oct(s) || strings.HasPrefix(s, "0") && oct(s[1:]) || strings.HasPrefix(s, "0o") && oct(s[2:])
}

// commonModes are the modes people usually mean; a permissions string that
// reads as one of them in decimal was probably converted by mistake.
var commonModes = []int{0o400, 0o440, 0o444, 0o500, 0o550, 0o555, 0o600, 0o640, 0o644, 0o660, 0o664, 0o666, 0o700, 0o750, 0o755, 0o770, 0o775, 0o777}

func (v *validator) permissions(p, s string) {
	if !isOctalMode(s) {
		if d, err := strconv.Atoi(s); err == nil && d >= 0 && d <= 0o7777 {
			v.errf(p, "permissions-octal", "%q is not an octal mode (it has the digit 8 or 9); if it is the decimal %d, write '%04o'", s, d, d)
			return
		}
		v.errf(p, "permissions-octal", "%q is not an octal mode; write a quoted octal string such as '0644'", s)
		return
	}
	if s[0] != '0' {
		if d, err := strconv.Atoi(s); err == nil {
			for _, m := range commonModes {
				if d == m {
					v.warnf(p, "permissions-decimal", "%q reads as octal %04o, but it is the decimal form of %04o; write '%04o' if that is what you meant, or '0%s' to keep it", s, mustOctal(s), d, d, s)
					return
				}
			}
		}
	}
}

func mustOctal(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(s, "0o"), 8, 64)
	return n
}

// node checks a known key whose value did not fit the typed model, walking
// the YAML as cloud-init's schema would.
func (v *validator) node(key string, n *yaml.Node) {
	switch key {
	case "runcmd", "bootcmd":
		if !v.nonEmptyList(key, n) {
			return
		}
		for i, e := range n.Content {
			p := index(key, i)
			switch {
			case e.Kind == yaml.ScalarNode && effectiveTag(e) == tagStr:
				if strings.TrimSpace(e.Value) == "" {
					v.errf(p, "command-empty", "empty shell command; remove it")
				}
			case e.Kind == yaml.ScalarNode && effectiveTag(e) == tagNull && key == "runcmd":
				// allowed by cloud-init's schema, and skipped
			case e.Kind == yaml.SequenceNode:
				if len(e.Content) == 0 {
					v.errf(p, "command-empty", "empty argv list; remove it or give the program to run")
				}
				for j, w := range e.Content {
					v.wantString(index(p, j), w)
				}
			default:
				hint := ""
				if e.Kind == yaml.MappingNode {
					hint = "; a \": \" in an unquoted command makes it a mapping: quote the whole command"
				} else if e.Kind == yaml.ScalarNode {
					hint = fmt.Sprintf("; quote it: '%s'", e.Value)
				}
				v.errf(p, "command-type", "must be a string (run by sh) or a list of strings (argv), not %s%s", describe(e), hint)
			}
		}
	case "write_files":
		if !v.nonEmptyList(key, n) {
			return
		}
		seen := map[string]int{}
		for i, e := range n.Content {
			v.writeFileNode(index("write_files", i), e, i, seen)
		}
	case "packages":
		if !v.nonEmptyList(key, n) {
			return
		}
		for i, e := range n.Content {
			p := index("packages", i)
			if e.Kind == yaml.SequenceNode {
				if len(e.Content) != 2 {
					v.errf(p, "package-type", "a package with a version is a list of two strings [name, version], not %d items", len(e.Content))
					continue
				}
				v.wantString(p+"[0]", e.Content[0])
				v.wantString(p+"[1]", e.Content[1])
				continue
			}
			v.wantString(p, e)
		}
	case "package_update", "package_upgrade":
		if e := n; e.Kind != yaml.ScalarNode || effectiveTag(e) != tagBool {
			v.errf(key, "bool", "must be true or false, not %s", describe(e))
		}
	case "mounts":
		if !v.nonEmptyList(key, n) {
			return
		}
		for i, e := range n.Content {
			p := index("mounts", i)
			if e.Kind != yaml.SequenceNode {
				v.errf(p, "mount-type", "must be a list [device, mount point, type, options, dump, pass], not %s", describe(e))
				continue
			}
			v.mount(p, len(e.Content))
			for j, w := range e.Content {
				v.wantString(index(p, j), w)
			}
		}
	case "final_message":
		v.wantString(key, n)
	}
}

func (v *validator) nonEmptyList(p string, n *yaml.Node) bool {
	if n.Kind != yaml.SequenceNode {
		v.errf(p, "list", "must be a list, not %s", describe(n))
		return false
	}
	if len(n.Content) == 0 {
		v.errf(p, "list", "is an empty list, which cloud-init's schema rejects; leave the key out")
		return false
	}
	return true
}

func (v *validator) wantString(p string, n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode && effectiveTag(n) == tagStr {
		return true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode {
		hint = fmt.Sprintf("; quote it: '%s'", n.Value)
	}
	v.errf(p, "string", "must be a string, not %s%s", describe(n), hint)
	return false
}

func (v *validator) writeFileNode(p string, n *yaml.Node, i int, seen map[string]int) {
	if n.Kind != yaml.MappingNode {
		v.errf(p, "write-file-type", "must be a mapping with at least a path, not %s", describe(n))
		return
	}
	var f WriteFile
	var hasPath bool
	for k := 0; k+1 < len(n.Content); k += 2 {
		kn, vn := n.Content[k], n.Content[k+1]
		key := kn.Value
		kp := p + "." + key
		switch key {
		case "path":
			if v.wantString(kp, vn) {
				hasPath = true
				f.Path = vn.Value
				v.filePath(kp, vn.Value)
			}
		case "content":
			if vn.Kind == yaml.ScalarNode && effectiveTag(vn) == tagBinary {
				// cloud-init's schema takes bytes for strings, and
				// write_files writes them as they are.
			} else if v.wantString(kp, vn) {
				f.Content = vn.Value
			}
		case "encoding":
			if v.wantString(kp, vn) {
				f.Encoding = vn.Value
				if _, ok := encodingKind(vn.Value); !ok {
					v.errf(kp, "encoding", "unknown encoding %q; cloud-init accepts %s", vn.Value, encodingsList)
				}
			}
		case "owner":
			if v.wantString(kp, vn) {
				v.owner(kp, vn.Value)
			}
		case "permissions":
			v.permissionsNode(kp, vn)
		case "append", "defer":
			if vn.Kind != yaml.ScalarNode || effectiveTag(vn) != tagBool {
				v.errf(kp, "bool", "must be true or false, not %s", describe(vn))
			} else if key == "append" {
				f.Append, _ = fitBool(vn)
			}
		case "source":
			// Known to cloud-init 25.1 (content fetched from a URL), not
			// to 22.4, whose schema rejects it and whose write_files
			// ignores it (docs/versions.md).
			v.errf(kp, "write-file-key", "key \"source\" is not known to cloud-init 22.4 (Debian 12: its schema rejects it and the file gets no content from it); cloud-init 25.1 fetches the content from source.uri; use content to work on both")
			v.diags[len(v.diags)-1].Versions = "cloud-init 22.4 (Debian 12); 25.1 accepts it"
		default:
			v.errf(kp, "write-file-key", "unknown key %q; cloud-init 22.4's schema allows path, content, encoding, owner, permissions, append and defer (25.1 adds source)", key)
		}
	}
	if !hasPath {
		if _, ok := findKey(n, "path"); !ok {
			v.errf(p, "path-absolute", "has no path; give the absolute path of the file")
		}
		return
	}
	if first, dup := seen[f.Path]; dup && !f.Append {
		v.errf(p+".path", "path-duplicate", "%s is also written by write_files[%d]; this entry replaces that file: merge the two, or set append: true", f.Path, first)
	} else if !dup {
		seen[f.Path] = i
	}
	if f.Encoding != "" && f.Content != "" {
		if _, ok := encodingKind(f.Encoding); ok {
			if _, err := f.decode(&v.gunzip, v.budget); err != nil {
				v.contentError(p+".content", err, f.Encoding)
			}
		}
	}
}

func findKey(m *yaml.Node, key string) (*yaml.Node, bool) {
	for k := 0; k+1 < len(m.Content); k += 2 {
		if m.Content[k].Value == key {
			return m.Content[k+1], true
		}
	}
	return nil, false
}

// permissionsNode checks a permissions value, explaining what YAML did to
// an unquoted number.
func (v *validator) permissionsNode(p string, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && effectiveTag(n) == tagStr {
		v.permissions(p, n.Value)
		return
	}
	if n.Kind == yaml.ScalarNode && effectiveTag(n) == tagInt {
		s := strings.ReplaceAll(n.Value, "_", "")
		switch {
		case len(s) > 1 && s[0] == '0' && isOctalMode(s):
			v.warnf(p, "permissions-unquoted", "unquoted %s is read by YAML 1.1 as the number %d; cloud-init's schema wants a string: write '%s'", n.Value, mustOctal(s), s)
		default:
			d, _ := strconv.ParseInt(s, 0, 64)
			if isOctalMode(s) {
				v.errf(p, "permissions-unquoted", "unquoted %s is the decimal number %d, which cloud-init applies as mode %04o; write '0%s' (quoted) for mode 0%s", n.Value, d, d, s, s)
			} else {
				v.errf(p, "permissions-unquoted", "unquoted %s is a number, which cloud-init applies as mode %04o; write a quoted octal string such as '0644'", n.Value, d)
			}
		}
		return
	}
	v.errf(p, "permissions-octal", "must be a quoted octal string such as '0644', not %s", describe(n))
}
