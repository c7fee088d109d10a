package userdata

import (
	"reflect"
	"strings"
	"testing"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/realtools"
)

func TestLint(t *testing.T) {
	cc := func(body, merge string) Part {
		return Part{ContentType: ContentCloudConfig, MergeType: merge, Body: []byte(body)}
	}
	sh := func(name string) Part {
		return Part{ContentType: ContentShellScript, Filename: name, Body: []byte("#!/bin/sh\n")}
	}
	type want struct {
		part int
		rule string
		sev  diag.Severity
		in   string
	}
	tests := []struct {
		name  string
		parts []Part
		want  []want
	}{
		{"clean", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nruncmd: [b]\n", MergeAppend), sh("10-a"), sh("20-b")}, nil},
		{"runcmd replaced", []Part{cc("#cloud-config\nruncmd: [a]\nwrite_files: []\n", ""), cc("#cloud-config\nruncmd: [b]\n", "")},
			[]want{{2, RuleKeyReplaced, diag.Warning, "replaces runcmd (set by part 1)"}}},
		{"merge_how in body counts", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nmerge_how: 'list(append)'\nruncmd: [b]\n", "")}, nil},
		{"different keys", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nwrite_files: []\n", "")}, nil},
		{"nested key not top level", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nusers:\n  - name: x\n    runcmd: y\n", "")}, nil},
		{"quoted key", []Part{cc("#cloud-config\n\"bootcmd\": [a]\n", ""), cc("#cloud-config\n'bootcmd' : [b]\n", "")},
			[]want{{2, RuleKeyReplaced, diag.Warning, "bootcmd"}}},
		{"jinja cloud-config", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), {ContentType: ContentJinja2, Body: []byte("## template: jinja\n#cloud-config\nruncmd: [b]\n")}},
			[]want{{2, RuleKeyReplaced, diag.Warning, "runcmd"}}},
		{"duplicate filename", []Part{sh("a.sh"), sh("a.sh")},
			[]want{{2, RuleDuplicateFilename, diag.Error, "filename of part 1"}}},
		{"same filename, other kind of part", []Part{sh("a.sh"), {ContentType: ContentBoothook, Filename: "a.sh", Body: []byte("#cloud-boothook\n")}, cc("#cloud-config\n", "a.sh")}, nil},
		{"runcmd name", []Part{sh("runcmd")}, []want{{1, RuleRuncmdFilename, diag.Error, "named runcmd"}}},
		{"runcmd name per-boot is fine", []Part{{ContentType: ContentShellScriptPerBoot, Filename: "runcmd"}}, nil},
		{"script order", []Part{sh("20-b"), sh("10-a")}, []want{{2, RuleScriptOrder, diag.Warning, `runs before part 1 ("20-b")`}}},
		{"unnamed scripts sort by position", []Part{sh(""), sh("")}, nil},
		{"unnamed after named", []Part{sh("x"), sh("")}, []want{{2, RuleScriptOrder, diag.Warning, `part-002`}}},
		{"order per kind", []Part{sh("20-b"), {ContentType: ContentShellScriptPerBoot, Filename: "10-a"}}, nil},
		{"generated name taken by an unnamed part", []Part{sh(""), sh("part-001")},
			[]want{{2, RuleGeneratedFilename, diag.Error, "has the name cloud-init gives part 1"}}},
		{"generated name of a later unnamed part", []Part{sh("part-003"), cc("#cloud-config\n", ""), sh("")},
			[]want{{1, RuleGeneratedFilename, diag.Error, "has the name cloud-init gives part 3"}}},
		{"generated name of an unnamed part of another kind", []Part{sh("part-003"), cc("#cloud-config\n", ""), {ContentType: ContentBoothook, Body: []byte("#cloud-boothook\n")}},
			[]want{{1, RuleGeneratedFilename, diag.Info, "part-NNN"}}},
		{"generated name, no unnamed part", []Part{sh("part-001"), sh("part-002")},
			[]want{{1, RuleGeneratedFilename, diag.Info, "part-NNN"}, {2, RuleGeneratedFilename, diag.Info, "part-NNN"}}},
		{"generated name past 999", []Part{sh("part-1000")}, []want{{1, RuleGeneratedFilename, diag.Info, "part-NNN"}}},
		{"generated name of part 0", []Part{sh("part-000")}, []want{{1, RuleGeneratedFilename, diag.Info, "part-NNN"}}},
		{"own name, same position", []Part{sh("part-001")}, []want{{1, RuleGeneratedFilename, diag.Info, "part-NNN"}}},
		{"two digits is not generated", []Part{sh("part-01")}, nil},
		{"padded past three digits is not generated", []Part{sh("part-0001")}, nil},
		{"suffix is not generated", []Part{sh("part-001.sh")}, nil},
		{"prefix is not generated", []Part{sh("10-part-001")}, nil},
		{"other case is not generated", []Part{sh("Part-001")}, nil},
		{"sign is not generated", []Part{sh("part--01")}, nil},
		{"part-handler name is not generated", []Part{{ContentType: ContentPartHandler, Filename: "part-handler-000", Body: []byte("#part-handler\n")}}, nil},
		{"several findings sorted by part", []Part{sh("b"), sh("b"), sh("a")}, []want{
			{2, RuleDuplicateFilename, diag.Error, ""}, {3, RuleScriptOrder, diag.Warning, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Lint(&Document{Parts: tc.parts})
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Part != w.part || g.Rule != w.rule || g.Severity != w.sev || !strings.Contains(g.Message, w.in) {
					t.Errorf("diagnostic %d = %v, want part %d %s %s containing %q", i, g, w.part, w.sev, w.rule, w.in)
				}
			}
		})
	}
}

func TestTopLevelKeys(t *testing.T) {
	body := "#cloud-config\n# comment: no\nruncmd:\n  - a: b\nwrite_files: []\r\n\"quoted\": 1\nurl: http://x # comment\nruncmd: again\n---\n- list\nkey:value\n"
	want := []string{"runcmd", "write_files", "quoted", "url"}
	if got := TopLevelKeys([]byte(body)); !reflect.DeepEqual(got, want) {
		t.Errorf("TopLevelKeys = %q, want %q", got, want)
	}
}

// TestGeneratedFilenameMatchesCloudInit checks the generated-filename
// rule against cloud-init's own naming: the rule reports an error exactly
// when cloud-init hands two parts of the encoded document the same name
// because one of them had none, and writes both to the same directory.
func TestGeneratedFilenameMatchesCloudInit(t *testing.T) {
	sh := func(name string) Part {
		return Part{ContentType: ContentShellScript, Filename: name, Body: []byte("#!/bin/sh\n")}
	}
	boothook := Part{ContentType: ContentBoothook, Body: []byte("#cloud-boothook\n")}
	docs := []struct {
		name  string
		parts []Part
	}{
		{"unnamed first", []Part{sh(""), sh("part-001")}},
		{"unnamed third", []Part{sh("part-003"), sh("a"), boothook}},
		{"unnamed elsewhere", []Part{sh("part-003"), boothook}},
		{"no unnamed part", []Part{sh("part-001"), sh("part-002")}},
		{"all unnamed", []Part{sh(""), sh(""), boothook}},
		{"padded", []Part{sh(""), sh("part-0001")}},
	}
	var encoded [][]byte
	for _, d := range docs {
		b, err := (&Document{Parts: d.parts}).Encode(Options{})
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		encoded = append(encoded, b)
	}
	res := realtools.CloudInitParse(t, encoded...)
	for i, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			r := res[i]
			if r.Err != "" || len(r.Parts) != len(d.parts) {
				t.Fatalf("cloud-init: %d parts, error %q", len(r.Parts), r.Err)
			}
			collides := false
			for a := range r.Parts {
				for b := range r.Parts {
					// A collision overwrites a file: same name, same
					// directory (scripts and boothooks have their own).
					dir := scriptDir(r.Parts[a].ContentType)
					if a != b && r.Parts[a].Name == r.Parts[b].Name && r.Parts[a].Filename == "" && dir != "" && dir == scriptDir(r.Parts[b].ContentType) {
						collides = true
					}
				}
			}
			lintErr := false
			for _, g := range Lint(&Document{Parts: d.parts}) {
				if g.Rule == RuleGeneratedFilename && g.Severity == diag.Error {
					lintErr = true
				}
			}
			if collides != lintErr {
				t.Errorf("cloud-init names %v; generated-filename error: %v", r.Parts, lintErr)
			}
		})
	}
}

// Every finding carries its part's escaped label, never repeats it in the
// message, and names a rule of Rules().
func TestLintLabelsAndRules(t *testing.T) {
	known := map[string]bool{}
	for _, r := range Rules() {
		if known[r.ID] || r.Doc == "" {
			t.Errorf("rule %q duplicated or undocumented", r.ID)
		}
		known[r.ID] = true
	}
	doc := &Document{Parts: []Part{
		{ContentType: ContentShellScript, Filename: "b\x1b[31m", Body: []byte("#!/bin/sh\n")},
		{ContentType: ContentShellScript, Filename: "b\x1b[31m", Body: []byte("#!/bin/sh\n")},
		{ContentType: ContentShellScript, Filename: "a", Body: []byte("#!/bin/sh\n")},
	}}
	for _, d := range Lint(doc) {
		if !known[d.Rule] {
			t.Errorf("finding of unknown rule %q", d.Rule)
		}
		if d.PartLabel != doc.Parts[d.Part-1].Label() || strings.Contains(d.Message, d.PartLabel) {
			t.Errorf("label %q, message %q", d.PartLabel, d.Message)
		}
		if strings.ContainsRune(d.String(), 0x1b) {
			t.Errorf("unescaped header value in %q", d.String())
		}
	}
}
