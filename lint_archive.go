package udkit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/userdata"
)

// archiveLintKey identifies the lint of one cloud-config entry body: the
// alias copies of one entry (and entries with the same content) share it.
type archiveLintKey struct{ body string }

// archiveEntryLabel is the PartLabel of a finding about entry k (1-based)
// of an archive part labelled label: `text/cloud-config-archive entry 2
// (text/cloud-config "x.yaml")`.
func archiveEntryLabel(label string, e ArchiveEntry) string {
	return fmt.Sprintf("%s entry %d (%s)", label, e.Index, e.Label())
}

// isArchiveEntryFinding reports whether d is about an entry of an archive
// (its PartLabel names the entry), which keeps its part and label even
// when the archive is the whole, non-MIME document.
func isArchiveEntryFinding(d diag.Diagnostic) bool {
	return strings.HasPrefix(d.PartLabel, userdata.ContentCloudConfigArchive+" entry ")
}

// lintArchive checks the #cloud-config-archive part i (0-based) of a
// document for [lintParts]: the archive as cloud-init expands it
// ([ExpandArchive]; an archive it does not expand as written is an
// archive-invalid finding), then every cloud-config entry validated and
// linted like a cloud-config part, with the systemd units its write_files
// writes, every text/plain entry reported as ignored, and named script
// entries that cloud-init writes to one file (or to the runcmd script)
// reported as colliding. Findings about
// an entry carry the entry in PartLabel and the YAML path inside the
// entry in Path; lines are lines of the archive (bases as for lintParts).
// The expansion and every entry are charged to b.
func lintArchive(i int, p userdata.Part, label string, bases []int, b *Budget) diag.List {
	var out diag.List
	add := func(dg diag.Diagnostic, e *ArchiveEntry, shift int) {
		dg.Part, dg.PartLabel = i+1, label
		if e != nil {
			dg.PartLabel = archiveEntryLabel(label, *e)
			switch {
			case e.Block && dg.Line > 0:
				dg.Line = e.Line + max(dg.Line-shift, 1)
				if dg.Column > 0 {
					dg.Column += e.Indent
				}
			default:
				dg.Line, dg.Column = e.Line, 0
			}
		}
		if bases != nil {
			switch base := bases[i]; {
			case base == 0:
				dg.Line, dg.Column = 0, 0
			case dg.Line > 0:
				dg.Line += base - 1
			default:
				dg.Line, dg.Column = base, 0
			}
		}
		out = append(out, dg)
	}
	entries, err := ExpandArchive(p.Body, b)
	var ae *ArchiveError
	switch {
	case errors.As(err, &ae) && ae.Empty:
		add(diag.Diagnostic{Severity: Warning, Rule: RuleArchiveInvalid, Message: "the #cloud-config-archive is empty: cloud-init acts on nothing in it; write a list of entries (content, type, filename) or drop the part"}, nil, 0)
		return out
	case errors.As(err, &ae) && ae.Entry == 0:
		add(diag.Diagnostic{Severity: Error, Rule: RuleArchiveInvalid, Message: ae.Message}, nil, 0)
		return out
	case errors.As(err, &ae):
		add(diag.Diagnostic{Severity: Error, Rule: RuleArchiveInvalid, Message: fmt.Sprintf("entry %d: %s", ae.Entry, ae.Message)}, nil, 0)
		return out
	case err != nil:
		add(diag.Diagnostic{Severity: Error, Rule: RuleArchiveInvalid, Message: "udkit stopped expanding the archive, its entries are not checked: " + err.Error()}, nil, 0)
		return out
	}
	written := map[string]int{} // script file -> entry that writes it
	for k := range entries {
		e := &entries[k]
		if file := entryScriptFile(e.Part); file != "" {
			if prev, ok := written[file]; ok {
				add(diag.Diagnostic{Severity: Error, Rule: userdata.RuleDuplicateFilename, Message: fmt.Sprintf("writes the script %s as entry %d does: cloud-init writes both to the same file and only this one runs; give the entries different filenames", diag.Quote(file), prev)}, e, 0)
			}
			written[file] = e.Index
			if file == instanceScripts+"/runcmd" {
				add(diag.Diagnostic{Severity: Error, Rule: userdata.RuleRuncmdFilename, Message: "is named runcmd, the name of the script cloud-init writes for the runcmd key; one overwrites the other: rename the entry"}, e, 0)
			}
		}
		if e.ContentType == userdata.ContentPlain {
			add(diag.Diagnostic{Severity: Error, Rule: RuleIgnoredPart, Message: "cloud-init ignores this entry: no handler acts on text/plain; give it the type of what it is (text/cloud-config, text/x-shellscript, ...) or leave its type out to have it typed by its first line"}, e, 0)
			continue
		}
		body, shift, note := cloudConfigBody(e.Part)
		if note != "" {
			add(diag.Diagnostic{Severity: Info, Rule: RuleTemplateNotChecked, Message: note}, e, 0)
		}
		if body == nil {
			continue
		}
		ds, _ := budget.Memo(b, archiveLintKey{string(body)}, func() (diag.List, error) {
			return lintCloudConfigText(body, b), nil
		})
		for _, dg := range ds {
			add(dg, e, shift)
		}
	}
	return out
}

// typedUserData reports whether the first line of data that is not blank
// is one cloud-init types user data by (#!, #cloud-config-archive,
// #cloud-boothook, #include, ...) other than a bare #cloud-config line:
// such a document is user data even when a later line looks like a unit
// section header (a flow-style archive "[...]", a script's "[ -x f ]").
func typedUserData(data []byte) bool {
	first, _, _ := bytes.Cut(bytes.TrimLeft(data, " \t\r\n"), []byte("\n"))
	return userdata.TypeFromFirstLine(data) != "" && !strings.EqualFold(strings.TrimSpace(string(first)), "#cloud-config")
}

// entryScriptFile is the file cloud-init's handler writes a named script
// entry to (as [Plan] names it: clean_filename, per-frequency scripts by
// their base name), "" for an entry without a filename or of another
// kind. Entries without a filename are named part-NNN after their place
// among all the parts of the document, which Plan checks.
func entryScriptFile(pt userdata.Part) string {
	if pt.Filename == "" {
		return ""
	}
	switch pt.ContentType {
	case userdata.ContentShellScript:
		if n := cleanFilename(pt.Filename); n != "" {
			return instanceScripts + "/" + n
		}
	case userdata.ContentShellScriptPerBoot, userdata.ContentShellScriptPerInst, userdata.ContentShellScriptPerOnce:
		base := pt.Filename
		if i := strings.LastIndexByte(base, '/'); i >= 0 {
			base = base[i+1:] // os.path.basename
		}
		if n := cleanFilename(base); n != "" {
			return cloudScripts + "/" + strings.TrimPrefix(pt.ContentType, "text/x-shellscript-") + "/" + n
		}
	}
	return ""
}
