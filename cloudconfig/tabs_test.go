package cloudconfig_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
)

// tabCases are texts with tabs and whether the renderer writes them as a
// literal block scalar. Every one must read back exactly, by Parse and by
// PyYAML (cloud-init's loader), whatever the style.
var tabCases = []struct {
	name    string
	text    string
	literal bool
}{
	{"tab inside a line", "key\tvalue\nnext\n", true},
	{"leading tab on a later line", "[Service]\n\tExecStart=/bin/true\n", true},
	{"leading tab on the first line", "\tindented first\nsecond\n", false},
	{"tab-only first line", "\t\nx\n", false},
	{"tab-only line", "a\n\t\nb\n", true},
	{"trailing tab", "a\t\nb\n", true},
	{"trailing tab at the end", "a\nb\t", true},
	{"tab after spaces", "a  \tb\n  \t\nc\n", true},
	{"space then trailing tab", "a \t\nb\n", true},
	{"leading spaces then tab on the first line", "  \tx\ny\n", true},
	{"trailing space", "a\t \nb\n", false},
	{"mixed makefile", "all:\n\tgo build ./...\n\n# comment\t\n  \t mixed\t\ttabs\n\t\t\n", true},
	{"single line", "a\tb", false},
}

// pyTabs loads each rendered file with PyYAML's safe loader and compares
// write_files[0].content and runcmd[0] with the expected text, printing
// one line per file.
const pyTabs = `
import sys, yaml, json
want = json.load(open(sys.argv[1]))
for i, w in enumerate(want):
    d = yaml.safe_load(open("%s/%d.yaml" % (sys.argv[2], i), encoding="utf-8"))
    got = [d["write_files"][0]["content"], d["runcmd"][0]]
    print("ok" if got == [w, w] else "differ %r" % (got,))
`

func TestTabsRoundTrip(t *testing.T) {
	realtools.RequirePythonModule(t, "yaml")
	dir := t.TempDir()
	var want []string
	for i, tt := range tabCases {
		c := &cloudconfig.Config{
			WriteFiles: []cloudconfig.WriteFile{{Path: "/etc/app/tabs", Content: tt.text}},
			Runcmd:     []cloudconfig.Command{cloudconfig.Shell(tt.text)},
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.Count(string(out), ": |") + strings.Count(string(out), "- |"); got != 0 && got != 2 || (got == 2) != tt.literal {
			t.Errorf("%s: %q: want literal %v, got:\n%s", tt.name, tt.text, tt.literal, out)
		}
		back, err := cloudconfig.Parse(out)
		if err != nil {
			t.Errorf("%s: rendering does not parse: %v\n%s", tt.name, err, out)
		} else if back.WriteFiles[0].Content != tt.text || back.Runcmd[0].Script != tt.text {
			t.Errorf("%s: Parse reads %q and %q, want %q", tt.name, back.WriteFiles[0].Content, back.Runcmd[0].Script, tt.text)
		}
		writeFile(t, filepath.Join(dir, fmt.Sprint(i)+".yaml"), out)
		want = append(want, tt.text)
	}
	// A known-bad case last: the checker must notice a changed text.
	i := len(want)
	writeFile(t, filepath.Join(dir, fmt.Sprint(i)+".yaml"), []byte("#cloud-config\nwrite_files:\n  - path: /x\n    content: |\n      a b\nruncmd:\n  - \"a b\\n\"\n"))
	want = append(want, "a\tb\n")
	js, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "want.json"), js)
	out, err := runTool(toolTimeout, true, realtools.Python, "-c", pyTabs, filepath.Join(dir, "want.json"), dir)
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("python printed %d lines for %d files:\n%s", len(lines), len(want), out)
	}
	if lines[i] == "ok" {
		t.Errorf("the PyYAML check does not discriminate: a wrong text passed")
	}
	for k, tt := range tabCases {
		if lines[k] != "ok" {
			t.Errorf("%s: PyYAML reads %q differently: %s", tt.name, tt.text, lines[k])
		}
	}
}
