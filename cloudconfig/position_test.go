package cloudconfig_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/cloudconfig"
)

// Findings of a parsed config carry the line and column of their path,
// from the parse itself; a config built in Go has none.
func TestPositions(t *testing.T) {
	doc := "#cloud-config\nwrite_files:\n  - path: /run/app/env\n    owner: app\n    content: |\n      a\n      b\nruncmd:\n  - [systemctl, enable, x.service]\n"
	c, err := cloudconfig.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	type pos struct {
		Path      string
		Line, Col int
	}
	var got []pos
	for _, d := range cloudconfig.Lint(c) {
		got = append(got, pos{d.Path, d.Line, d.Column})
	}
	want := []pos{{"write_files[0].path", 3, 11}, {"write_files[0].owner", 4, 12}, {"runcmd[0]", 9, 5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	if l := c.TextLine("write_files[0].content"); l != 6 {
		t.Errorf("TextLine = %d, want 6", l)
	}
	if l, col := c.Position("write_files[7].path"); l != 0 || col != 0 {
		t.Errorf("Position of a missing path = %d:%d", l, col)
	}
	clone := c.Clone()
	if l, _ := clone.Position("runcmd[0]"); l != 0 {
		t.Errorf("a clone keeps positions")
	}
	if diff := cmp.Diff(c, clone, cmpopts.IgnoreUnexported(cloudconfig.Config{})); diff != "" {
		t.Errorf("Clone differs:\n%s", diff)
	}
	clone.Runcmd[0].Args[0] = "changed"
	clone.WriteFiles[0].Path = "/x"
	if c.Runcmd[0].Args[0] != "systemctl" || c.WriteFiles[0].Path != "/run/app/env" {
		t.Error("Clone shares memory with the original")
	}
}

func TestParseErrorTyped(t *testing.T) {
	for _, tc := range []struct {
		doc        string
		line, col  int
		wantInText string
	}{
		{"#cloud-config\na: [\n", 2, 0, "did not find"},
		{"not cloud-config\n", 1, 0, "must start with"},
		{"#cloud-config\n1: x\n", 2, 1, "not a string"},
	} {
		_, err := cloudconfig.Parse([]byte(tc.doc))
		var pe *cloudconfig.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: %v is not a *ParseError", tc.doc, err)
			continue
		}
		if pe.Line != tc.line || pe.Column != tc.col {
			t.Errorf("%q: at %d:%d, want %d:%d (%v)", tc.doc, pe.Line, pe.Column, tc.line, tc.col, err)
		}
		if d := pe.Diagnostic(); d.Rule != cloudconfig.RuleParse || d.Line != pe.Line {
			t.Errorf("Diagnostic = %+v", d)
		}
	}
}

// ParseNode reads a mapping decoded by the caller, with the caller's
// lines, to the same config as Parse.
func TestParseNode(t *testing.T) {
	file := "name: app\ncloud_config:\n  runcmd:\n    - [echo, 5]\n  packages: [jq]\n"
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(file), &doc); err != nil {
		t.Fatal(err)
	}
	c, err := cloudconfig.ParseNode(doc.Content[0].Content[3], len(file))
	if err != nil {
		t.Fatal(err)
	}
	want, err := cloudconfig.Parse([]byte("#cloud-config\nruncmd:\n  - [echo, 5]\npackages: [jq]\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Marshal()
	b, _ := want.Marshal()
	if string(a) != string(b) {
		t.Errorf("ParseNode gives\n%s\nParse gives\n%s", a, b)
	}
	var ve *cloudconfig.ValidationError
	if err := c.Validate(); !errors.As(err, &ve) || ve.Diagnostics[0].Line != 4 {
		t.Errorf("Validate: %v, want a finding on line 4 of the file", err)
	}
	if _, err := cloudconfig.ParseNode(doc.Content[0].Content[1], len(file)); err == nil {
		t.Error("a scalar parsed as a config")
	}
}
