package main

import (
	"strings"
	"testing"

	"github.com/udkit/udkit/diag"
)

// GitHub's runner reads ::LEVEL k=v,k=v::DATA; in DATA it unescapes %25,
// %0D and %0A, in property values also %3A and %2C (actions/toolkit,
// packages/core/src/command.ts). Anything else would cut the command
// short or forge another property or command.
func TestGithubCommandEscaping(t *testing.T) {
	for _, tc := range []struct {
		level, file string
		line, col   int
		title, msg  string
		want        string
	}{
		{"error", "a.yaml", 3, 0, "list", "runcmd: not a list", "::error file=a.yaml,line=3,title=list::runcmd: not a list\n"},
		{"warning", "a,b:c%d.yaml", 2, 5, "r", "100% sure", "::warning file=a%2Cb%3Ac%25d.yaml,line=2,col=5,title=r::100%25 sure\n"},
		{"notice", "x\r\ny", 0, 7, "t,i:t", "one\r\ntwo: three, four", "::notice file=x%0D%0Ay,title=t%2Ci%3At::one%0D%0Atwo: three, four\n"},
		// Standard input has no file; a line without a file is kept.
		{"error", "-", 4, 0, "", "::x::", "::error line=4::::x::\n"},
		{"error", "", 0, 0, "", "", "::error::\n"},
	} {
		if got := githubCommand(tc.level, tc.file, tc.line, tc.col, tc.title, tc.msg); got != tc.want {
			t.Errorf("githubCommand(%q, %q, ...) = %q, want %q", tc.level, tc.file, got, tc.want)
		}
	}
}

// A finding's untrusted text is made one terminal-safe line before the
// GitHub escaping: no escape sequence reaches the log, and a newline in a
// value cannot start another workflow command.
func TestGithubFinding(t *testing.T) {
	d := diag.Diagnostic{Part: 2, PartLabel: `text/cloud-config "x"`, Path: "write_files[0].path", Line: 9, Severity: diag.Warning, Rule: "path-volatile",
		Message: "path \x1b[31m/tmp/x\n::error::forged is volatile", Versions: "cloud-init >= 24.1"}
	got := githubFinding("ud.txt", d)
	want := `::warning file=ud.txt,line=9,title=path-volatile::part 2 (text/cloud-config "x"): write_files[0].path: path \x1b[31m/tmp/x\n::error::forged is volatile (cloud-init >= 24.1)` + "\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Count(got, "\n") != 1 {
		t.Errorf("not one line: %q", got)
	}
	d.Severity = diag.Info
	if got := githubFinding("ud.txt", d); !strings.HasPrefix(got, "::notice ") {
		t.Errorf("info: %q", got)
	}
}

func TestFindingsFlags(t *testing.T) {
	for _, tc := range []struct {
		format  string
		json    bool
		want    string
		wantErr string
	}{
		{"text", false, "text", ""},
		{"text", true, "json", ""},
		{"json", true, "json", ""},
		{"github", false, "github", ""},
		{"github", true, "", "disagree"},
		{"sarif", false, "", `--format "sarif": use text, json or github`},
	} {
		f, j := tc.format, tc.json
		got, err := findingsFlags{format: &f, json: &j}.get()
		if got != tc.want || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("--format %s --json=%v: %q, %v; want %q, %q", tc.format, tc.json, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestErrText(t *testing.T) {
	for in, want := range map[string]string{
		"udkit: userdata: gzip mode \"x\": use auto": "gzip mode \"x\": use auto",
		"udkit: lint: userdata: part 1: bad":         "part 1: bad",
		"open x: no such file":                       "open x: no such file",
		"udkit: x.yaml: invalid spec\nx.yaml:1: y":   "x.yaml: invalid spec\nx.yaml:1: y",
	} {
		if got := errText(errorString(in)); got != want {
			t.Errorf("errText(%q) = %q, want %q", in, got, want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
