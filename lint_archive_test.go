package udkit

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/userdata"
)

// lintArchiveDoc is an archive with findings in its entries.
var lintArchiveDoc = `#cloud-config-archive
- type: text/cloud-config
  filename: x.yaml
  content: |
    #cloud-config
    packages: 5
    write_files:
      - path: /etc/systemd/system/hook.service
        content: |
          [Unit]
          Description=hook
          [Service]
          ExecStop=/bin/true
- |
  #!/bin/sh
  echo hi
- content: "runcmd: 7"
- &a {type: text/plain, content: hello}
- *a
`

// TestLintArchive checks that the entries of an archive are linted like
// parts, with the entry named and lines of the document, as a whole
// document and as a MIME part.
func TestLintArchive(t *testing.T) {
	archive := lintArchiveDoc
	want := []string{
		`part 1 (text/cloud-config-archive entry 1 (text/cloud-config "x.yaml")): packages: line 6:15: error: must be a list, not the number 5 [list]`,
		`part 1 (text/cloud-config-archive entry 1 (text/cloud-config "x.yaml")): write_files[0].content: line 9:18: unit hook.service: error: no WantedBy= in [Install]`,
		`part 1 (text/cloud-config-archive entry 1 (text/cloud-config "x.yaml")): write_files[0].content: line 12: unit hook.service line 3: warning: no TimeoutStopSec=`,
		`part 1 (text/cloud-config-archive entry 3 (text/cloud-config)): runcmd: line 17: error: must be a list, not the number 7 [list]`,
		`part 1 (text/cloud-config-archive entry 4 (text/plain)): line 18: error: cloud-init ignores this entry`,
		`part 1 (text/cloud-config-archive entry 5 (text/plain)): line 19: error: cloud-init ignores this entry`,
	}
	check := func(name string, doc string, shift int) {
		t.Helper()
		_, ds, err := Lint([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.String())
		}
		for _, w := range want {
			if shift != 0 {
				w = shiftLines(w, shift)
			}
			found := false
			for _, g := range got {
				found = found || strings.HasPrefix(g, w)
			}
			if !found {
				t.Errorf("%s: no finding %q in\n%s", name, w, strings.Join(got, "\n"))
			}
		}
	}
	check("document", archive, 0)
	mime := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/cloud-config-archive\n\n" + strings.TrimPrefix(archive, "#cloud-config-archive\n") + "--b--\n"
	check("MIME part", mime, 5)
}

// shiftLines adds n to the "line N" of a finding's text.
func shiftLines(s string, n int) string {
	i := strings.Index(s, ": line ")
	if i < 0 {
		return s
	}
	var line int
	rest := s[i+len(": line "):]
	j := strings.IndexAny(rest, ":")
	fmt.Sscan(rest[:j], &line)
	return s[:i] + fmt.Sprintf(": line %d", line+n) + rest[j:]
}

// TestLintArchiveInvalid grades the archives cloud-init does not expand
// as written (the verdicts are those of TestExpandArchiveErrors, checked
// against cloud-init): an error where the document says more than a boot
// does, a warning for an empty archive.
func TestLintArchiveInvalid(t *testing.T) {
	tests := []struct {
		doc string
		sev Severity
		msg string
	}{
		{"#cloud-config-archive\n", Warning, "is empty"},
		{"#cloud-config-archive\n{content: x}\n", Error, "does not load as a YAML list"},
		{"#cloud-config-archive\n- {type: shellscript, content: x}\n", Error, "entry 1: type \"shellscript\" has no '/'"},
		{"#cloud-config-archive\n- {content: x, X-Note: yes}\n", Error, "entry 1: the value of \"X-Note\" is not a string"},
	}
	for _, tc := range tests {
		_, ds, err := Lint([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Rule != RuleArchiveInvalid || ds[0].Severity != tc.sev || !strings.Contains(ds[0].Message, tc.msg) {
			t.Errorf("%q: %v, want one %s %s finding with %q", tc.doc, ds, tc.sev, RuleArchiveInvalid, tc.msg)
		}
	}
}

// TestLintArchiveAsParts checks, on every archive of the real-world
// corpus and on mutated ones, that an entry gets the findings the same
// text gets as a part of its own: what Lint says about the cloud-config
// entries of an archive equals what it says about a MIME document of the
// parts cloud-init makes of them, except for the location.
func TestLintArchiveAsParts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "archive-*.txt"))
	var docs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(b), "#cloud-config-archive") {
			docs = append(docs, string(b))
		}
	}
	docs = append(docs, lintArchiveDoc)
	for _, d := range append([]string(nil), docs...) {
		// Findings: a broken unit, a wrong type, a relative path.
		m := strings.NewReplacer("TimeoutStopSec=60", "TimeoutStopSec=forever", "timezone: Etc/UTC", "timezone: 5", "password: not-a-real-password", "password: [1]", "- bzr", "- 5", "/etc/systemd/system/", "etc/systemd/system/").Replace(d)
		if m != d {
			docs = append(docs, m)
		}
	}
	findings := 0
	for _, doc := range docs {
		entries, err := ExpandArchive([]byte(doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		ud := &userdata.Document{}
		for _, e := range entries {
			ud.Parts = append(ud.Parts, e.Part)
		}
		parts, err := ud.Encode(userdata.Options{AllowUnknownTypes: true})
		if err != nil {
			t.Fatal(err)
		}
		_, got, _ := Lint([]byte(doc))
		_, want, _ := Lint(parts)
		key := func(ds List, fromArchive bool) []string {
			var out []string
			for _, d := range ds {
				entry := d.Part
				if fromArchive {
					if !isArchiveEntryFinding(d) || d.Rule == RuleIgnoredPart {
						continue // ignored-part: its own message, checked by TestLintArchive
					}
					fmt.Sscanf(strings.TrimPrefix(d.PartLabel, userdata.ContentCloudConfigArchive+" entry "), "%d", &entry)
				} else if isRuleOf(d.Rule, userdata.Rules()) || d.Rule == RuleIgnoredPart {
					continue // document rules: not checked inside archives
				}
				out = append(out, fmt.Sprintf("%d %s %s %s %s %d %s", entry, d.Severity, d.Rule, d.Path, d.Unit, d.UnitLine, d.Message))
			}
			sort.Strings(out)
			return out
		}
		g, w := key(got, true), key(want, false)
		findings += len(g)
		if strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%q:\narchive:\n%s\nparts:\n%s", doc, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	if findings < 4 {
		t.Errorf("only %d findings compared: the mutations find nothing", findings)
	}
	t.Logf("%d archives, %d findings compared", len(docs), findings)
}

func isRuleOf(id string, rs []Rule) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// TestLintArchiveBudget checks that an archive of 10,000 entries stays
// within the document budget: aliases of a large entry are stopped with
// one finding, and 10,000 copies of one cloud-config entry are linted
// once.
func TestLintArchiveBudget(t *testing.T) {
	big := "#cloud-config-archive\n- &a {content: \"#cloud-config\\nhostname: " + strings.Repeat("x", 64<<10) + "\\n\"}\n" + strings.Repeat("- *a\n", 10000)
	_, ds, err := Lint([]byte(big))
	if err != nil {
		t.Fatal(err)
	}
	if ds = ds.Without("size-ec2"); len(ds) != 1 || ds[0].Rule != RuleArchiveInvalid || ds[0].Severity != Error {
		t.Fatalf("findings %v, want one archive-invalid error (and the size warning)", ds)
	}
	same := "#cloud-config-archive\n- &a {content: \"#cloud-config\\npackages: 5\\n\"}\n" + strings.Repeat("- *a\n", 9999)
	b := NewBudget()
	_, ds, err = lintWithin([]byte(same), b)
	if err != nil {
		t.Fatal(err)
	}
	if ds = ds.Without("size-ec2"); len(ds) != 10000 {
		t.Errorf("%d findings, want one for each of 10,000 entries", len(ds))
	}
	// The expansion charges each entry 3 nodes ({content: ...}); the
	// lint of their one text is charged once.
	if n := b.Used(budget.Nodes); n > 3*10000+100 {
		t.Errorf("%d YAML nodes charged: the entries are linted more than once", n)
	}
}

// BenchmarkLintArchive10k lints an archive of 10,000 distinct small
// cloud-config entries.
func BenchmarkLintArchive10k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("#cloud-config-archive\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "- \"#cloud-config\\nhostname: host-%d\\n\"\n", i)
	}
	doc := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, err := Lint(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDetectKindTypedFirstLine: a document whose first line cloud-init
// types is user data, whatever its later lines look like.
func TestDetectKindTypedFirstLine(t *testing.T) {
	tests := []struct {
		doc  string
		want Kind
	}{
		{"#cloud-config-archive\n[\"#!/bin/sh\\necho\\n\"]\n", KindUserData},
		{"#!/bin/sh\n[ -x /usr/bin/true ] && true\n", KindUserData},
		{"\n  #cloud-boothook\n[x]\n", KindUserData},
		{"#cloud-config\nruncmd: [a]\n", KindCloudConfig},
		{"#Cloud-Config\r\nruncmd: [a]\n", KindCloudConfig},
		{"# a unit\n[Unit]\nDescription=x\n", KindUnit},
		{"[Unit]\nDescription=x\n", KindUnit},
	}
	for _, tc := range tests {
		if got := DetectKind([]byte(tc.doc)); got != tc.want {
			t.Errorf("DetectKind(%q) = %s, want %s", tc.doc, got, tc.want)
		}
	}
}

// TestLintArchiveScriptNames: named script entries of one archive that
// cloud-init writes to the same file, or to the runcmd script, are
// errors, where Plan (checked against cloud-init's handlers) finds the
// same overwrite.
func TestLintArchiveScriptNames(t *testing.T) {
	doc := []byte(`#cloud-config-archive
- {type: text/x-shellscript, filename: "a b.sh", content: "#!/bin/sh\necho 1\n"}
- {type: text/x-shellscript, filename: ab.sh, content: "#!/bin/sh\necho 2\n"}
- {type: text/x-shellscript-per-boot, filename: x/ab.sh, content: "#!/bin/sh\necho 3\n"}
- {type: text/x-shellscript-per-boot, filename: y/ab.sh, content: "#!/bin/sh\necho 4\n"}
- {type: text/x-shellscript, filename: runcmd, content: "#!/bin/sh\necho 5\n"}
- |
  #cloud-config
  runcmd: [echo 6]
`)
	_, ds, err := Lint(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%s %s %s", d.PartLabel, d.Severity, d.Rule))
	}
	want := []string{
		`text/cloud-config-archive entry 2 (text/x-shellscript "ab.sh") error duplicate-filename`,
		`text/cloud-config-archive entry 4 (text/x-shellscript-per-boot "y/ab.sh") error duplicate-filename`,
		`text/cloud-config-archive entry 5 (text/x-shellscript "runcmd") error runcmd-filename`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p := mustPlan(t, doc, PlanOptions{})
	var over []int
	for _, f := range p.Findings {
		if f.Rule == RulePlanOverwritten {
			over = append(over, f.Part)
		}
	}
	if fmt.Sprint(over) != "[1 3 5]" {
		t.Errorf("plan overwrites parts %v, want [1 3 5] (the earlier of each pair, and the runcmd entry)", over)
	}
}
