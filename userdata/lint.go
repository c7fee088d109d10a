package userdata

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"github.com/udkit/udkit/diag"
)

// Lint rule ids, as in [diag.Diagnostic.Rule].
const (
	RuleKeyReplaced       = "cloud-config-key-replaced"
	RuleDuplicateFilename = "duplicate-filename"
	RuleRuncmdFilename    = "runcmd-filename"
	RuleScriptOrder       = "script-order"
	RuleGeneratedFilename = "generated-filename"
	// RuleArchiveInvalid is reported by udkit.Lint (which reads the YAML
	// of a #cloud-config-archive; this package reads no YAML): see
	// udkit.ExpandArchive.
	RuleArchiveInvalid = "archive-invalid"
)

var rules = []diag.Rule{
	{ID: RuleKeyReplaced, Severity: diag.Warning, Doc: "A cloud-config part sets a top-level key an earlier cloud-config part sets too, without a merge type: under cloud-init's default merge the later value replaces the earlier one; set X-Merge-Type: " + MergeAppend + " to add to it."},
	{ID: RuleDuplicateFilename, Severity: diag.Error, Doc: "Two script (or boothook) parts of one kind have the same filename: cloud-init writes both to the same file and only the later survives (parts of different kinds, and cloud-config parts, are written to different places or nowhere)."},
	{ID: RuleRuncmdFilename, Severity: diag.Error, Doc: "A text/x-shellscript part named runcmd collides with the script cloud-init writes for the runcmd key: one overwrites the other."},
	{ID: RuleScriptOrder, Severity: diag.Warning, Doc: "Shell-script parts of one kind run sorted by filename, not in part order (a part without a filename is named part-NNN after its position); the listed order differs."},
	{ID: RuleGeneratedFilename, Severity: diag.Error, Doc: "A filename of the form cloud-init gives unnamed parts (part-NNN): an error when an unnamed script or boothook of the same kind in the same document gets that very name (one file overwrites the other), advice (info) otherwise (an unnamed part added later or by an include or archive may take it)."},
	{ID: RuleArchiveInvalid, Severity: diag.Error, Doc: "A #cloud-config-archive cloud-init does not expand as written: YAML that does not load as a list (cloud-init acts on none of its entries), or an entry its user-data processor fails on (a type without '/', content that is not a string, a header key whose value is not a string: cloud-init then acts on none of the user data). An empty archive is a warning. Reported by udkit.Lint, which also lints every cloud-config entry of an archive like a cloud-config part."},
}

// Rules returns every rule of the package, in a fixed order: those
// [Lint] checks on a composed [Document], then the document rules of
// [LintDocument] ([DocumentRules]).
func Rules() []diag.Rule { return append(append([]diag.Rule(nil), rules...), DocumentRules()...) }

// Lint reports what in d cloud-init would accept but most likely not do
// as meant, in part order:
//
//   - a cloud-config part that sets a top-level key an earlier cloud-config
//     part sets too, without a merge type: under cloud-init's default merge
//     (dict(replace)+list()+str()) the later value replaces the earlier one,
//     so two runcmd or write_files lists do not add up ([MergeAppend] does);
//   - two script (or boothook) parts of one kind with the same filename:
//     the later overwrites the earlier;
//   - a text/x-shellscript part named "runcmd": it collides with the
//     script cloud-init writes for the runcmd key;
//   - shell-script parts of one kind whose filenames sort in another order
//     than the parts are listed: cloud-init runs them sorted by filename
//     (parts without a filename are named part-NNN after their position);
//   - a part whose filename has the form cloud-init gives parts without a
//     filename (part-%03d of the part's 1-based position, so part-001,
//     part-042, part-1000): an error when a script or boothook part of the
//     same kind without a filename in the same document gets that very
//     name, so that one overwrites the other, advice (info) otherwise (an
//     unnamed part added later, or one an include or archive brings in,
//     takes it).
//
// The top-level keys of cloud-config parts come from a minimal scan, not a
// YAML parser (this package uses the standard library only): every line
// that starts in column 0 with a plain or quoted key followed by a colon.
// Flow-style documents ({runcmd: [...]}) are not scanned. A part whose body
// sets merge_how or merge_type counts as having a merge type.
func Lint(d *Document) diag.List {
	var out diag.List
	seenKey := map[string]int{} // key -> 1-based part that set it first
	seenName := map[string]int{}
	for i, p := range d.Parts {
		n := i + 1
		if keys := cloudConfigKeys(p); keys != nil {
			merges := p.MergeType != ""
			for _, k := range keys {
				if k == "merge_how" || k == "merge_type" {
					merges = true
				}
			}
			var replaced []string
			for _, k := range keys {
				if first, ok := seenKey[k]; ok && !merges {
					replaced = append(replaced, fmt.Sprintf("%s (set by part %d)", k, first))
				} else if !ok {
					seenKey[k] = n
				}
			}
			if len(replaced) > 0 {
				out = append(out, finding(i, p, diag.Warning, RuleKeyReplaced,
					fmt.Sprintf("replaces %s under cloud-init's default merge; set MergeType to userdata.MergeAppend (X-Merge-Type: %s) to add to them", strings.Join(replaced, ", "), MergeAppend)))
			}
		}
		// Only scripts and boothooks are written to files named after the
		// part, one directory per kind: a name shared across kinds, or by
		// cloud-config parts, collides with nothing.
		if dir := scriptDir(p.ContentType); p.Filename != "" && dir != "" {
			if first, ok := seenName[dir+"/"+p.Filename]; ok {
				out = append(out, finding(i, p, diag.Error, RuleDuplicateFilename,
					fmt.Sprintf("has the filename of part %d; cloud-init writes both to the same file and only one survives: rename one", first)))
			} else {
				seenName[dir+"/"+p.Filename] = n
			}
		}
		if p.ContentType == ContentShellScript && p.Filename == "runcmd" {
			out = append(out, finding(i, p, diag.Error, RuleRuncmdFilename,
				"is named runcmd, the name of the script cloud-init writes for the runcmd key; one overwrites the other: rename the part"))
		}
	}
	out = append(out, generatedFilenames(d)...)
	out = append(out, scriptOrder(d)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Part < out[j].Part })
	return out
}

// finding is a diagnostic about part i (0-based).
func finding(i int, p Part, sev diag.Severity, rule, msg string) diag.Diagnostic {
	return diag.Diagnostic{Part: i + 1, PartLabel: p.Label(), Severity: sev, Rule: rule, Message: msg}
}

// generatedName reports whether name has the form of the names cloud-init
// gives parts without a filename: Python's "part-%03d" % n for n >= 0
// (cloudinit.handlers.PART_FN_TPL), that is "part-" and three digits, or
// more digits without a leading zero.
func generatedName(name string) bool {
	digits, ok := strings.CutPrefix(name, "part-")
	if !ok || len(digits) < 3 || (len(digits) > 3 && digits[0] == '0') {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// generatedFilenames finds caller-given filenames of the form cloud-init
// gives unnamed parts.
func generatedFilenames(d *Document) diag.List {
	var out diag.List
	unnamed := map[string]int{} // name cloud-init gives -> 1-based part
	for i, p := range d.Parts {
		if p.Filename == "" {
			unnamed[scriptDir(p.ContentType)+"/"+fmt.Sprintf("part-%03d", i+1)] = i + 1
		}
	}
	for i, p := range d.Parts {
		if p.Filename == "" || !generatedName(p.Filename) {
			continue
		}
		if j, ok := unnamed[scriptDir(p.ContentType)+"/"+p.Filename]; ok && scriptDir(p.ContentType) != "" {
			out = append(out, finding(i, p, diag.Error, RuleGeneratedFilename,
				fmt.Sprintf("has the name cloud-init gives part %d, which has no filename; one overwrites the other: give the part a name not of the form part-NNN", j)))
			continue
		}
		// Nothing collides in the document as given: advice.
		out = append(out, finding(i, p, diag.Info, RuleGeneratedFilename,
			"is named like the parts cloud-init names itself (part-NNN, from the position of a part without a filename); it collides with any unnamed part that comes to stand at that position, one an include or archive adds too: give the part a name not of the form part-NNN"))
	}
	return out
}

// scriptOrder finds shell parts that run in another order than listed.
func scriptOrder(d *Document) diag.List {
	var out diag.List
	type script struct {
		n    int
		name string
	}
	byType := map[string][]script{}
	var types []string
	for i, p := range d.Parts {
		if !IsShellScript(p.ContentType) {
			continue
		}
		name := p.Filename
		if name == "" {
			name = fmt.Sprintf("part-%03d", i+1)
		}
		if _, ok := byType[p.ContentType]; !ok {
			types = append(types, p.ContentType)
		}
		byType[p.ContentType] = append(byType[p.ContentType], script{i + 1, name})
	}
	for _, ct := range types {
		ss := byType[ct]
		for j := 1; j < len(ss); j++ {
			// The earliest listed part that sorts after this one.
			for k := 0; k < j; k++ {
				if ss[j].name < ss[k].name {
					p := d.Parts[ss[j].n-1]
					named := ""
					if p.Filename == "" {
						named = "named " + ss[j].name + " by cloud-init, "
					}
					out = append(out, finding(ss[j].n-1, p, diag.Warning, RuleScriptOrder,
						fmt.Sprintf("%sruns before part %d (%s): cloud-init runs %s parts sorted by filename, not in part order; prefix the filenames with numbers in the order they must run", named, ss[k].n, diag.Quote(ss[k].name), QuoteHeader(ct))))
					break
				}
			}
		}
	}
	return out
}

// cloudConfigKeys returns the top-level keys of a cloud-config part (in
// order, without duplicates), or nil when p is not cloud-config.
func cloudConfigKeys(p Part) []string {
	body := p.Body
	switch p.ContentType {
	case ContentCloudConfig:
	case ContentJinja2:
		// A jinja template renders to the type of its second line.
		_, rest, ok := bytes.Cut(body, []byte("\n"))
		if !ok || !bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte("#cloud-config")) {
			return nil
		}
		body = rest
	default:
		return nil
	}
	return TopLevelKeys(body)
}

// TopLevelKeys returns the top-level mapping keys of a YAML document by a
// minimal scan: each line that starts in column 0 with a plain, single- or
// double-quoted key followed by ":" and a space, tab or end of line. It is
// what [Lint] uses; it does not parse YAML and ignores flow-style mappings.
func TopLevelKeys(body []byte) []string {
	var keys []string
	seen := map[string]bool{}
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		// A view of line, not a copy: lineKey only reads it, and the
		// key is copied before it is kept.
		k, ok := lineKey(unsafe.String(unsafe.SliceData(line), len(line)))
		if ok && !seen[k] {
			k = strings.Clone(k)
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func lineKey(line string) (string, bool) {
	if line == "" {
		return "", false
	}
	switch line[0] {
	case ' ', '\t', '#', '-', '{', '[', '%', '&', '*', '!', '|', '>', '@', '`', ',', '?', ':':
		return "", false
	case '"', '\'':
		q := line[0]
		end := strings.IndexByte(line[1:], q)
		if end < 0 {
			return "", false
		}
		key, rest := line[1:1+end], line[2+end:]
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, ":") {
			return "", false
		}
		return key, true
	}
	for i := 0; i < len(line); i++ {
		if line[i] == ':' && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t') {
			return strings.TrimRight(line[:i], " \t"), true
		}
		if line[i] == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
			return "", false
		}
	}
	return "", false
}
