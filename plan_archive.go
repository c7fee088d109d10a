package udkit

import (
	"errors"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

// PlanArchive says which #cloud-config-archive entry a part comes from.
type PlanArchive struct {
	// Part is the 1-based decoded part (as the user data lists it) that
	// is the archive; Entry the 1-based entry of its list.
	Part  int `json:"part"`
	Entry int `json:"entry"`
}

// planSource is where a part of the plan comes from.
type planSource struct {
	archive *PlanArchive // the archive entry, nil for a part of the user data
	// notExpanded is why an archive part was left as it is (an
	// *ArchiveError with Entry 0, or the budget), nil when expanded.
	notExpanded error
}

// expandArchives replaces every #cloud-config-archive part of p.parts by
// the parts cloud-init makes of its entries (see [ExpandArchive]), as
// cloud-init's user-data processor does before any handler runs, and
// sets p.labels. An archive that does not expand stays one part. When an
// entry makes the processor raise, cloud-init consumes none of the user
// data: p.failed is then the 1-based part of the plan that is the archive,
// and the error why.
func (p *planner) expandArchives() {
	var parts []userdata.Part
	for i, pt := range p.parts {
		if pt.ContentType != userdata.ContentCloudConfigArchive {
			parts = append(parts, pt)
			p.labels = append(p.labels, partLabel(pt))
			p.src = append(p.src, planSource{})
			continue
		}
		entries, err := ExpandArchive(pt.Body, p.budget)
		var ae *ArchiveError
		if errors.As(err, &ae) && ae.Entry > 0 && p.failed == 0 {
			p.failed, p.failErr = len(parts)+1, ae
		}
		if err != nil {
			parts = append(parts, pt)
			p.labels = append(p.labels, partLabel(pt))
			p.src = append(p.src, planSource{notExpanded: err})
			continue
		}
		for _, e := range entries {
			parts = append(parts, e.Part)
			p.labels = append(p.labels, archiveEntryLabel(partLabel(pt), e))
			p.src = append(p.src, planSource{archive: &PlanArchive{Part: i + 1, Entry: e.Index}})
		}
	}
	p.parts = parts
}

// archivePart plans the archive part n that was not expanded.
func (p *planner) archivePart(n int, pp *PlanPart) {
	pp.Handler, pp.Effect = "archive", "ignored"
	err := p.src[n-1].notExpanded
	var ae *ArchiveError
	switch {
	case n == p.failed:
		p.find(n, "", diag.Error, RulePlanBadPart, "%s: cloud-init's user-data processor raises on it, logs \"Consuming user data failed!\" and acts on no part of the user data; no script, boothook or cloud-config of it runs", p.failErr)
	case errors.As(err, &ae) && ae.Empty:
		p.find(n, "", diag.Warning, RulePlanIgnored, "the #cloud-config-archive is empty: cloud-init acts on nothing in it")
	case errors.As(err, &ae):
		p.find(n, "", diag.Error, RulePlanBadPart, "%s", ae.Message)
	default:
		pp.Effect = "unknown"
		p.find(n, "", diag.Warning, RulePlanNotFetched, "udkit stopped expanding the archive (%v): cloud-init turns each of its entries into a part of its own at boot; their effects are not in this plan, and the part-NNN names of later parts without a filename shift by the number of parts it yields", err)
		p.uncertOK = false
	}
}
