package main

import (
	"errors"
	"fmt"

	"github.com/udkit/udkit"
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
	// the 1-based position of its entry in the archive's list (as lint
	// and plan name it), 0 when it is not from an archive.
	From, Entry int
	// hasLaunch says LaunchIndex comes from a header (which wins over the
	// payload, even when empty).
	hasLaunch bool
}

// includeURL is a URL an include part makes cloud-init fetch.
type includeURL struct {
	Part int // the decoded part
	userdata.Include
}

// RuleArchiveInvalid is the inspect warning about a #cloud-config-archive
// whose YAML does not load as a list: cloud-init acts on none of it.
const RuleArchiveInvalid = udkit.RuleArchiveInvalid

// actOn returns what cloud-init's user-data processor makes of d
// (cloudinit.user_data.UserDataProcessor._process_msg): archives exploded
// into their entries in place, include parts replaced by the URLs they
// name (never fetched, so they add no parts here), launch indexes
// attached. warnings holds what it passes over.
func actOn(d *userdata.Decoded) (parts []actedPart, incs []includeURL, warnings diag.List, err error) {
	b := udkit.NewBudget() // the archives' entries, aliases expanded
	for i, p := range d.Parts {
		n := i + 1
		switch p.ContentType {
		case userdata.ContentIncludeURL, userdata.ContentIncludeOnceURL:
			for _, u := range userdata.IncludeURLs(p.Body) {
				incs = append(incs, includeURL{Part: n, Include: u})
			}
			continue
		case userdata.ContentCloudConfigArchive:
			entries, err := udkit.ExpandArchive(p.Body, b)
			var ae *udkit.ArchiveError
			switch {
			case errors.As(err, &ae) && ae.Entry == 0:
				warnings = append(warnings, diag.Diagnostic{Part: n, Severity: diag.Warning, Rule: RuleArchiveInvalid, Message: ae.Message})
			case err != nil:
				return nil, nil, nil, fmt.Errorf("part %d (%s): %v", n, userdata.ContentCloudConfigArchive, err)
			}
			for _, e := range entries {
				parts = append(parts, actedPart{Part: e.Part, LaunchIndex: e.LaunchIndex, hasLaunch: e.HasLaunchIndex, From: n, Entry: e.Index})
			}
			continue
		}
		a := actedPart{Part: p, From: n}
		a.LaunchIndex, a.hasLaunch = d.LaunchIndex(i)
		parts = append(parts, a)
	}
	for i := range parts {
		if !parts[i].hasLaunch && parts[i].ContentType == userdata.ContentCloudConfig {
			parts[i].LaunchIndex = udkit.PayloadLaunchIndex(parts[i].Body)
		}
	}
	return parts, incs, warnings, nil
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
