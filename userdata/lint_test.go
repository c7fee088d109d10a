package userdata

import (
	"reflect"
	"strings"
	"testing"
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
		sev  Severity
		in   string
	}
	tests := []struct {
		name  string
		parts []Part
		want  []want
	}{
		{"clean", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nruncmd: [b]\n", MergeAppend), sh("10-a"), sh("20-b")}, nil},
		{"runcmd replaced", []Part{cc("#cloud-config\nruncmd: [a]\nwrite_files: []\n", ""), cc("#cloud-config\nruncmd: [b]\n", "")},
			[]want{{2, RuleKeyReplaced, Warning, "replaces runcmd (set by part 1)"}}},
		{"merge_how in body counts", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nmerge_how: 'list(append)'\nruncmd: [b]\n", "")}, nil},
		{"different keys", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nwrite_files: []\n", "")}, nil},
		{"nested key not top level", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), cc("#cloud-config\nusers:\n  - name: x\n    runcmd: y\n", "")}, nil},
		{"quoted key", []Part{cc("#cloud-config\n\"bootcmd\": [a]\n", ""), cc("#cloud-config\n'bootcmd' : [b]\n", "")},
			[]want{{2, RuleKeyReplaced, Warning, "bootcmd"}}},
		{"jinja cloud-config", []Part{cc("#cloud-config\nruncmd: [a]\n", ""), {ContentType: ContentJinja2, Body: []byte("## template: jinja\n#cloud-config\nruncmd: [b]\n")}},
			[]want{{2, RuleKeyReplaced, Warning, "runcmd"}}},
		{"duplicate filename", []Part{sh("a.sh"), {ContentType: ContentBoothook, Filename: "a.sh", Body: []byte("#cloud-boothook\n")}},
			[]want{{2, RuleDuplicateFilename, Error, "filename of part 1"}}},
		{"runcmd name", []Part{sh("runcmd")}, []want{{1, RuleRuncmdFilename, Error, "named runcmd"}}},
		{"runcmd name per-boot is fine", []Part{{ContentType: ContentShellScriptPerBoot, Filename: "runcmd"}}, nil},
		{"script order", []Part{sh("20-b"), sh("10-a")}, []want{{2, RuleScriptOrder, Warning, `runs before part 1 ("20-b")`}}},
		{"unnamed scripts sort by position", []Part{sh(""), sh("")}, nil},
		{"unnamed after named", []Part{sh("x"), sh("")}, []want{{2, RuleScriptOrder, Warning, `part-002`}}},
		{"order per kind", []Part{sh("20-b"), {ContentType: ContentShellScriptPerBoot, Filename: "10-a"}}, nil},
		{"several findings sorted by part", []Part{sh("b"), sh("b"), sh("a")}, []want{
			{2, RuleDuplicateFilename, Error, ""}, {3, RuleScriptOrder, Warning, ""}}},
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
