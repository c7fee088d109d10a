package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestInspectExitCodes(t *testing.T) {
	seed := filepath.Join("..", "..", "userdata", "testdata", "golden", "seed-gzip-base64.golden")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "file", args: []string{seed}, wantCode: exitOK, wantStdout: "3 parts"},
		{name: "json", args: []string{"--json", seed}, wantCode: exitOK, wantStdout: `"parts":[{"index":1,`},
		{name: "stdin", args: []string{"--json"}, stdin: "#cloud-config\n", wantCode: exitOK, wantStdout: `"content_type":"text/cloud-config"`},
		{name: "stdin dash", args: []string{"-"}, stdin: "#!/bin/sh\n", wantCode: exitOK, wantStdout: "standard input: base64 no"},
		{name: "missing file", args: []string{"does-not-exist"}, wantCode: exitTrouble, wantStderr: "does-not-exist"},
		{name: "undecodable stdin", args: []string{"-"}, stdin: "MIME-Version: 1.0\n\n\xff", wantCode: exitTrouble, wantStderr: "udkit inspect: standard input: userdata: document: MIME document is not valid UTF-8"},
		{name: "two files", args: []string{"a", "b"}, wantCode: exitUsage, wantStderr: "one input at most"},
		{name: "bad flag", args: []string{"--nope"}, wantCode: exitUsage, wantStderr: "not defined"},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStdout: "Usage:\n  udkit inspect [flags] [FILE|-]"},
		{name: "extract without dir", args: []string{"--json", "--extract"}, wantCode: exitUsage, wantStderr: "flag needs an argument: -extract"},
		{name: "extract empty dir", args: []string{"--extract", "", seed}, wantCode: exitUsage, wantStderr: "--extract needs a directory"},
		{name: "force without extract", args: []string{"--force", seed}, wantCode: exitUsage, wantStderr: "--force only goes with --extract"},
		{name: "extract undecodable", args: []string{"--extract", filepath.Join(t.TempDir(), "x"), "-"}, stdin: "MIME-Version: 1.0\n\n\xff", wantCode: exitTrouble, wantStderr: "not valid UTF-8"},
		{name: "extract parent missing", args: []string{"--extract", filepath.Join(t.TempDir(), "no", "x"), seed}, wantCode: exitTrouble, wantStderr: "does not exist; create it first"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"inspect"}, tc.args...), strings.NewReader(tc.stdin), &out, &errb)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.wantCode, errb.String())
			}
			if !strings.Contains(out.String(), tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", out.String(), tc.wantStdout)
			}
			if !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.wantStderr)
			}
		})
	}
}

// TestInspectJSONShape checks the --json object has exactly the
// documented keys, in order.
func TestInspectJSONShape(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"inspect", "--json", "-"}, strings.NewReader("#cloud-config\n"), &out, &bytes.Buffer{}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("want exactly one line, got %q", out.String())
	}
	want := `{"encoding":{"base64":false,"gzip":false},"mime":false,"size":{"raw":14},"parts":[{"index":1,"content_type":"text/cloud-config","filename":"","merge_type":"","length":14,"sha256":"` // sha follows
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("got  %s\nwant %s...", out.String(), want)
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v) != 6 || v["includes"] == nil || v["warnings"] == nil {
		t.Errorf("top-level keys: %v", v)
	}
}

// TestInspectTextEscapesHeaders checks that content types, filenames and
// merge types, which come from untrusted MIME headers, reach the text
// table as they are only when they are printable ASCII without spaces or
// double quotes, and Go-quoted in ASCII otherwise.
func TestInspectTextEscapesHeaders(t *testing.T) {
	mime := func(headers string) string {
		return "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n" + headers + "\r\n#!/bin/sh\r\n--B--\r\n"
	}
	tests := []struct {
		name    string
		headers string
		want    string // the row after the index, up to the byte count
	}{
		{"plain", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=10-register.sh\r\nX-Merge-Type: list(append)\r\n",
			"text/x-shellscript  10-register.sh  list(append)"},
		{"terminal escape in filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''%1B%5B2J%1B%5B31mx.sh\r\n",
			`text/x-shellscript  "\x1b[2J\x1b[31mx.sh"  -`},
		{"newline in filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''a%0A2%20%20text%2Fplain%20%20b\r\n",
			`text/x-shellscript  "a\n2  text/plain  b"  -`},
		{"non-ASCII filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''a%C4%85.sh\r\n",
			`text/x-shellscript  "a\u0105.sh"  -`},
		{"right-to-left override", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename*=utf-8''a%E2%80%AEhs.exe\r\n",
			`text/x-shellscript  "a\u202ehs.exe"  -`},
		{"space in filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=\"a b.sh\"\r\n",
			`text/x-shellscript  "a b.sh"  -`},
		{"quote in filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=\"a\\\"b\"\r\n",
			`text/x-shellscript  "a\"b"  -`},
		{"dash filename", "Content-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=-\r\n",
			`text/x-shellscript  "-"  -`},
		{"control character in merge type", "Content-Type: text/x-shellscript\r\nX-Merge-Type: list(append)\x07\r\n",
			`text/x-shellscript  -  "list(append)\a"`},
		{"non-ASCII content type", "Content-Type: text/x-\u00e9\r\n",
			`"text/x-\u00e9"  -  -`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"inspect", "-"}, strings.NewReader(mime(tc.headers)), &out, &errb); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			lines := strings.Split(out.String(), "\n")
			if len(lines) < 4 || lines[len(lines)-1] != "" {
				t.Fatalf("want a summary, a heading and one row, got %q", out.String())
			}
			// Then only warnings, which quote what they cite from the
			// headers as the table does.
			for _, l := range lines[3 : len(lines)-1] {
				if !strings.HasPrefix(l, "warning: ") {
					t.Errorf("want a summary, a heading, one row and warnings, got line %q", l)
				}
				for _, c := range l {
					if c < ' ' || c > '~' {
						t.Errorf("warning %q holds %U", l, c)
					}
				}
			}
			row := regexp.MustCompile(`   +`).ReplaceAllString(lines[2], "  ") // tabwriter padding
			if !strings.HasPrefix(row, "1  "+tc.want+"  ") {
				t.Errorf("row %q\nwant  %q", row, "1  "+tc.want+"  ...")
			}
			for _, c := range row {
				if c < ' ' || c > '~' {
					t.Errorf("row %q holds %U", row, c)
				}
			}
		})
	}
}
