package userdata

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/udkit/udkit/diag"
)

// mimeDoc builds a LF multipart document with boundary b from parts
// given as "headers\n\nbody".
func mimeDoc(parts ...string) string {
	s := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	for _, p := range parts {
		s += "--b\n" + p + "\n"
	}
	return s + "--b--\n"
}

// TestLintDocumentRules has, for every rule of LintDocument, a document
// that breaks it and one that does not.
func TestLintDocumentRules(t *testing.T) {
	script := "Content-Type: text/x-shellscript\n\n#!/bin/sh\necho hi"
	big := "#cloud-config\nwrite_files:\n  - path: /etc/x\n    content: |\n" + strings.Repeat("      0123456789012345678901234567890123456789\n", 400)
	tests := []struct {
		rule       string
		sev        diag.Severity
		part, line int
		bad, good  string
	}{
		{RuleBOM, diag.Error, 0, 1, "\ufeff#cloud-config\nhostname: x\n", "#cloud-config\nhostname: x\n"},
		{RuleBOM, diag.Error, 0, 1, "\ufeffContent-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n--b\n" + script + "\n--b--\n", mimeDoc(script)},
		{RuleMIMEVersionLate, diag.Error, 0, 3, "Content-Type: multipart/mixed; boundary=b\nX-Pad: " + strings.Repeat("x", 4100) + "\nMIME-Version: 1.0\n\n--b\n" + script + "\n--b--\n", mimeDoc(script)},
		{RuleMultipartNoBoundary, diag.Error, 0, 0, "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--b\n" + script + "\n--b--\n", mimeDoc(script)},
		{RuleMultipartNoParts, diag.Error, 0, 0, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=other\n\n--b\n" + script + "\n--b--\n", mimeDoc(script)},
		{RuleCloseDelimiterMissing, diag.Warning, 0, 9, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" + script + "\n--b\n", mimeDoc(script)},
		{RuleEpilogue, diag.Error, 0, 11, mimeDoc(script) + "\n#!/bin/sh\necho lost\n", mimeDoc(script) + "\n\n"},
		{RuleDuplicateContentType, diag.Error, 1, 0, mimeDoc("Content-Type: text/plain\nContent-Type: text/cloud-config\n\n#cloud-config\nhostname: x"), mimeDoc("Content-Type: text/cloud-config\n\n#cloud-config\nhostname: x")},
		{RuleDuplicateContentType, diag.Warning, 1, 0, mimeDoc("Content-Type: text/x-shellscript\nContent-Type: text/x-shellscript; charset=us-ascii\n\n#!/bin/sh\necho hi"), mimeDoc(script)},
		{RuleFilenameUnsafe, diag.Warning, 1, 0, mimeDoc("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"dir/10 setup.sh\"\n\n#!/bin/sh\necho hi"), mimeDoc("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"10-setup.sh\"\n\n#!/bin/sh\necho hi")},
		{RuleFilenameCollision, diag.Error, 2, 0,
			mimeDoc("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"a b.sh\"\n\n#!/bin/sh\necho 1", "Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"ab.sh\"\n\n#!/bin/sh\necho 2"),
			mimeDoc("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"a.sh\"\n\n#!/bin/sh\necho 1", "Content-Type: text/x-shellscript-per-boot\nContent-Disposition: attachment; filename=\"a.sh\"\n\n#!/bin/sh\necho 2")},
		{RuleMixedLineEndings, diag.Warning, 0, 0, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\r\n--b--\r\n",
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\n--b--\r\n"},
		{RuleSizeEC2, diag.Warning, 0, 0, big, big[:16000]},
		{RuleEmptyPart, diag.Warning, 2, 0, mimeDoc(script, "Content-Type: text/cloud-config\n\n"), mimeDoc(script, "Content-Type: text/cloud-config\n\n#cloud-config\nhostname: x")},
		{RuleEmptyUserData, diag.Info, 0, 0, " \n", "#!/bin/sh\n"},
		{RuleShellNoShebang, diag.Error, 1, 0, mimeDoc("Content-Type: text/x-shellscript\n\nset -e\necho hi"), mimeDoc(script)},
		{RuleShellNoShebang, diag.Error, 1, 0, mimeDoc("Content-Type: text/x-shellscript-per-boot\n\n\n#!/bin/sh\necho hi"), mimeDoc("Content-Type: text/x-shellscript-per-boot\n\n#!/bin/sh\necho hi")},
		{RuleShellNoShebang, diag.Error, 1, 0, mimeDoc("Content-Type: text/cloud-boothook\n\n#cloud-boothook\necho hi"), mimeDoc("Content-Type: text/cloud-boothook\n\n#cloud-boothook\n#!/bin/sh\necho hi")},
		{RuleForeignFormat, diag.Info, 0, 0, "<powershell>\nWrite-Output hi\n</powershell>\n", "#!/bin/sh\necho hi\n"},
		{RuleForeignFormat, diag.Info, 0, 0, "#ps1_sysnative\nWrite-Output hi\n", "#!/bin/sh\n"},
		{RuleForeignFormat, diag.Info, 0, 0, `{"ignition":{"version":"3.3.0"}}`, "#cloud-config\n{}\n"},
		{RuleForeignFormat, diag.Info, 0, 0, "[settings.kubernetes]\ncluster-name = \"x\"\n", "#cloud-config\nhostname: x\n"},
		{RuleForeignFormat, diag.Info, 0, 0, "version: 1.0\ntasks:\n  - task: executeScript\n", "#cloud-config\nversion: 1\n"},
		{RuleUnhandledType, diag.Info, 1, 0, mimeDoc("Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1"), mimeDoc(script)},
		{RuleCloudConfigNotUTF8, diag.Error, 1, 0, mimeDoc("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte("#cloud-config\nfinal_message: caf\xe9\n"))),
			mimeDoc("Content-Type: text/cloud-config; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte("#cloud-config\nfinal_message: caf\xc3\xa9\n")))},
		{RuleMessagePart, diag.Warning, 1, 0, mimeDoc("Content-Type: message/rfc822\n\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi"), mimeDoc(script)},
		{RuleBase64Document, diag.Warning, 0, 0, base64.StdEncoding.EncodeToString([]byte("#cloud-config\nhostname: x\n")), "#cloud-config\nhostname: x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			find := func(doc string) []diag.Diagnostic {
				d, err := Decode([]byte(doc), Limits{})
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				var out []diag.Diagnostic
				for _, dg := range LintDocument([]byte(doc), d) {
					if dg.Rule == tc.rule {
						out = append(out, dg)
					}
				}
				return out
			}
			bad := find(tc.bad)
			if len(bad) != 1 {
				t.Fatalf("failing case: got %d findings of %s, want 1: %v", len(bad), tc.rule, bad)
			}
			if g := bad[0]; g.Severity != tc.sev || g.Part != tc.part || g.Line != tc.line {
				t.Errorf("failing case: got %s, want severity %s, part %d, line %d", g, tc.sev, tc.part, tc.line)
			}
			if bytes.ContainsAny([]byte(bad[0].Message), "\r\n\x1b") {
				t.Errorf("message not on one safe line: %q", bad[0].Message)
			}
			if good := find(tc.good); len(good) != 0 {
				t.Errorf("passing case: got %v", good)
			}
		})
	}
}

// TestDocumentRulesDocumented checks every rule id used has a doc line,
// and every doc line a rule id that is used.
func TestDocumentRulesDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range DocumentRules() {
		if seen[r.ID] || r.Doc == "" {
			t.Errorf("rule %q: duplicate or without doc", r.ID)
		}
		seen[r.ID] = true
	}
	for _, id := range []string{RuleBOM, RuleMIMEVersionLate, RuleMultipartNoBoundary, RuleMultipartNoParts, RuleCloseDelimiterMissing, RuleEpilogue, RuleDuplicateContentType, RuleFilenameUnsafe, RuleFilenameCollision, RuleMixedLineEndings, RuleSizeEC2, RuleEmptyPart, RuleEmptyUserData, RuleShellNoShebang, RuleForeignFormat, RuleUnhandledType, RuleBase64Document, RuleCloudConfigNotUTF8, RuleMessagePart} {
		if !seen[id] {
			t.Errorf("rule %q has no doc line in DocumentRules", id)
		}
	}
}

// TestIncludeURLs checks the include list reading against the shapes
// cloud-init's _do_include accepts.
func TestIncludeURLs(t *testing.T) {
	got := IncludeURLs([]byte("#include\n# comment\nhttps://a.test/1\n\n  https://a.test/2  \r\n#include-once https://a.test/3\nhttps://a.test/4\n#INCLUDE https://a.test/5\n"))
	want := []Include{{"https://a.test/1", false}, {"https://a.test/2", false}, {"https://a.test/3", true}, {"https://a.test/4", true}, {"https://a.test/5", false}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("url %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
