package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
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
		{name: "missing file", args: []string{"does-not-exist"}, wantCode: exitFail, wantStderr: "does-not-exist"},
		{name: "undecodable stdin", args: []string{"-"}, stdin: "MIME-Version: 1.0\n\n\xff", wantCode: exitFail, wantStderr: "udkit inspect: standard input: userdata: document: MIME document is not valid UTF-8"},
		{name: "two files", args: []string{"a", "b"}, wantCode: exitUsage, wantStderr: "one input at most"},
		{name: "bad flag", args: []string{"--nope"}, wantCode: exitUsage, wantStderr: "not defined"},
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStdout: "usage: udkit inspect"},
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
	if len(v) != 4 {
		t.Errorf("top-level keys: %v", v)
	}
}
