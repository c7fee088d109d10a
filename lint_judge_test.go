package udkit

import (
	"strconv"
	"strings"
	"testing"

	"github.com/udkit/udkit/userdata"
)

// TestLintSeverities checks the severity scale on documents that boot and
// on documents that do not: a failing and a passing case for every rule
// Lint grades or suppresses on the way from the leaf packages.
func TestLintSeverities(t *testing.T) {
	mime := func(headers, body string) string {
		return "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" + headers + "\n\n" + body + "\n--b--\n"
	}
	type find struct {
		rule string
		sev  Severity
		line int // 0: any
	}
	tests := []struct {
		name   string
		doc    string
		want   []find // findings that must be there
		absent []string
	}{
		{"typed cloud-config without header line is read", mime("Content-Type: text/cloud-config", "bootcmd:\n  - echo hi\n"),
			nil, []string{"cloud-config-parse"}},
		{"typed cloud-config without header line is checked", mime("Content-Type: text/cloud-config", "write_files:\n  - path: etc/x\n    content: x\n"),
			[]find{{"path-absolute", Error, 8}}, nil},
		{"jinja with jinja syntax is not checked", "## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n",
			[]find{{RuleTemplateNotChecked, Info, 0}}, []string{"cloud-config-parse"}},
		{"jinja without jinja syntax is checked", "## template: jinja\n#cloud-config\nwrite_files:\n  - path: etc/x\n    content: x\n",
			[]find{{"path-absolute", Error, 4}}, []string{RuleTemplateNotChecked}},
		{"Bottlerocket TOML is no unit", "[settings.kubernetes]\ncluster-name = \"x\"\n",
			[]find{{"foreign-format", Info, 0}}, []string{"unit-parse", RuleIgnoredPart}},
		{"EC2Launch is named, not ignored", "<powershell>\nWrite-Output hi\n</powershell>\n",
			[]find{{"foreign-format", Info, 0}}, []string{RuleIgnoredPart}},
		{"empty user data is a no-op", "", []find{{"empty-user-data", Info, 0}}, []string{RuleIgnoredPart}},
		{"phantom part of a missing close delimiter", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/cloud-config\n\n#cloud-config\nhostname: x\n\n--b\n",
			[]find{{"close-delimiter-missing", Warning, 0}}, []string{RuleIgnoredPart}},
		{"YAML without header is ignored", "hostname: x\n", []find{{RuleIgnoredPart, Error, 1}}, nil},
		{"BOM names the cause", "\ufeff#cloud-config\nhostname: x\n", []find{{"bom", Error, 1}}, []string{RuleIgnoredPart}},
		{"/tmp and unquoted octal are warnings", "#cloud-config\nwrite_files:\n  - path: /tmp/x\n    permissions: 0644\n    content: x\n",
			[]find{{"path-tmp", Warning, 3}, {"permissions-unquoted", Warning, 4}}, nil},
		{"unquoted decimal mode is an error", "#cloud-config\nwrite_files:\n  - path: /etc/x\n    permissions: 644\n    content: x\n",
			[]find{{"permissions-unquoted", Error, 4}}, nil},
		{"same filename across kinds", mime("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=a.sh", "#!/bin/sh\necho 1"),
			nil, []string{"duplicate-filename"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds, err := Lint([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, d := range ds {
				all = append(all, d.String()+" line "+strconv.Itoa(d.Line))
			}
			for _, w := range tc.want {
				ok := false
				for _, d := range ds {
					if d.Rule == w.rule && d.Severity == w.sev && (w.line == 0 || d.Line == w.line) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("want %s %s at line %d, got:\n%s", w.sev, w.rule, w.line, strings.Join(all, "\n"))
				}
			}
			for _, r := range tc.absent {
				for _, d := range ds {
					if d.Rule == r {
						t.Errorf("unwanted %s", d)
					}
				}
			}
		})
	}
}

// TestDocumentRulesInRules checks that the document rules of
// userdata.LintDocument are part of udkit.Rules(), whose table in docs/lint.md
// TestREADMERules keeps in step, with the same severity and doc, and that
// every rule Lint reports is known to Rules (so --ignore takes it).
func TestDocumentRulesInRules(t *testing.T) {
	all := map[string]Rule{}
	for _, r := range Rules() {
		all[r.ID] = r
	}
	for _, r := range userdata.DocumentRules() {
		if got, ok := all[r.ID]; !ok {
			t.Errorf("udkit.Rules() lacks the document rule %s", r.ID)
		} else if got != r {
			t.Errorf("udkit.Rules() has %+v, userdata.DocumentRules() %+v", got, r)
		}
	}
	if _, ok := all[RuleTemplateNotChecked]; !ok {
		t.Errorf("udkit.Rules() lacks %s", RuleTemplateNotChecked)
	}
	for _, id := range []string{"bom", "empty-user-data", "foreign-format", RuleTemplateNotChecked} {
		if _, _, err := Lint([]byte("#cloud-config\n"), id); err != nil {
			t.Errorf("Lint(ignore %s): %v", id, err)
		}
	}
}
