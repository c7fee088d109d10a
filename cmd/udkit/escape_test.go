package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/hostile"
)

// hostileText holds what a document can send a terminal: a screen clear,
// an OSC 8 link, a title change, a carriage return that overwrites the
// line, a right-to-left override and a bell.
const hostileText = "a\x1b[2J\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\x1b]0;title\x07\rfake\u202eb\x07"

// yamlHostile is hostileText as a YAML double-quoted scalar.
const yamlHostile = `"a\e[2J\e]8;;https://evil.example/\alink\e]8;;\a\e]0;title\a\rfake\u202Eb\a"`

// terminalSafe fails t when out holds anything a terminal acts on other
// than line breaks and tabs, and checks that the hostile text was shown
// (escaped), not dropped.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: output is not valid UTF-8: %q", what, out)
	}
	for _, r := range out {
		if r != '\n' && r != '\t' && diag.Escape(string(r)) != string(r) {
			t.Errorf("%s: output holds %U raw:\n%q", what, r, out)
			return
		}
	}
	if !strings.Contains(out, `\x1b`) && !strings.Contains(out, `\u001b`) {
		t.Errorf("%s: output does not show the escaped ESC; was the hostile text dropped?\n%s", what, out)
	}
}

func runT(t *testing.T, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String()
}

// Issue 16 item 13: every human-readable output of lint, diff, inspect,
// validate and render, given a document built to reach the terminal
// through part bodies, YAML keys and values, write_files paths and
// header values, and errors.
func TestOutputsEscapeHostileText(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cc := "#cloud-config\nwrite_files:\n- path: " + yamlHostile + "\n  content: x\n- path: /run/x\n  owner: " + yamlHostile + "\n  content: x\nruncmd:\n- [systemctl, enable, " + yamlHostile + "]\n" + yamlHostile + ": " + yamlHostile + "\n"
	a := write("a.yaml", cc)
	b := write("b.yaml", strings.ReplaceAll(cc, "content: x", "content: y"))
	script := func(body string) []byte {
		return hostile.MIME("text/x-shellscript", [][]byte{[]byte("#!/bin/sh\necho " + body + "\n")})
	}
	ma := write("a.mime", string(script("one "+hostileText)))
	mb := write("b.mime", string(script("two "+hostileText)))
	hname := write("x\x1b[2J\x1b]0;title\x07\rfake\u202eb", "\x1f\x8bnot gzip")
	hpart := "--B\r\nContent-Type: text/x-shellscript\r\nContent-Disposition: attachment; filename=\"n\x1b[31m\u202e.sh\x7f\"\r\n\r\n#!/bin/sh\r\n"
	mimeName := write("named.mime", "Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n"+hpart+hpart+"--B--\r\n")
	spec := write("spec.yaml", "name: web\nderegister:\n  command: [/usr/local/bin/leave]\nenvironment:\n  "+yamlHostile+": x\n")
	// A spec that renders, under a file name the size report names
	// (userdata refuses hostile part filenames itself).
	renderSpec := write("r\x1b[2J\u202e.yaml", "name: web\nderegister:\n  command: [/usr/local/bin/leave]\n")

	for _, c := range []struct {
		name string
		args []string
	}{
		{"lint cloud-config", []string{"lint", a}},
		{"lint user data", []string{"lint", mimeName}},
		{"lint undecodable file", []string{"lint", hname}},
		{"diff cloud-configs", []string{"diff", a, b}},
		{"diff script parts", []string{"diff", ma, mb}},
		{"diff hostile file name", []string{"diff", a, hname}},
		{"inspect", []string{"inspect", mimeName}},
		{"inspect file name", []string{"inspect", hname}},
		{"validate", []string{"validate", "--cloud-init", "never", a}},
		{"render spec error", []string{"render", spec}},
		// The outputs of main's CLI contract and plan.
		{"lint --format json", []string{"lint", "--format", "json", a}},
		{"lint --format github", []string{"lint", "--format", "github", a}},
		{"lint --format json user data", []string{"lint", "--format", "json", mimeName}},
		{"validate --format json", []string{"validate", "--cloud-init", "never", "--format", "json", a}},
		{"plan", []string{"plan", mimeName}},
		{"plan --json", []string{"plan", "--json", mimeName}},
		{"render --report", []string{"render", "--report", renderSpec}},
		{"render --report --json", []string{"render", "--report", "--json", renderSpec}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr := runT(t, "", c.args...)
			terminalSafe(t, "stdout+stderr", stdout+stderr)
		})
	}

	t.Run("inspect --json", func(t *testing.T) {
		stdout, stderr := runT(t, "", "inspect", "--json", mimeName)
		terminalSafe(t, "inspect --json", stdout+stderr)
		var v inspectJSON
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatalf("escaped JSON does not decode: %v\n%s", err, stdout)
		}
		if want := "n\x1b[31m\u202e.sh\x7f"; len(v.Parts) != 2 || v.Parts[0].Filename != want {
			t.Errorf("JSON parts decode to %+v, want the first filename %q", v.Parts, want)
		}
	})
}

// jsonSafe keeps the JSON value and leaves nothing raw that a terminal
// acts on.
func TestJSONSafe(t *testing.T) {
	for _, s := range []string{"plain", "ä漢字", "\x7f\u0085\u202e\u2066\u200b\ufeff", "\U0001F600 \U000E0001", "\t\r\n\x1b"} {
		raw, _ := json.Marshal(s)
		safe := jsonSafe(raw)
		var back string
		if err := json.Unmarshal(safe, &back); err != nil || back != s {
			t.Errorf("%q: jsonSafe gives %s, which decodes to %q (%v)", s, safe, back, err)
		}
		for _, r := range string(safe) {
			if diag.Escape(string(r)) != string(r) {
				t.Errorf("%q: jsonSafe leaves %U raw in %s", s, r, safe)
			}
		}
	}
}
