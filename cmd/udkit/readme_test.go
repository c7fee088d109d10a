package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Every `go run ./cmd/udkit ...` line of the README's shell blocks runs
// from the repository root and exits 0: the Quick start cannot rot.
func TestREADMECommands(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir("cmd/udkit")
	n := 0
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.TrimSpace(line) == "```sh":
			in = true
			continue
		case strings.TrimSpace(line) == "```":
			in = false
			continue
		}
		cmd, ok := strings.CutPrefix(line, "go run ./cmd/udkit ")
		if !in || !ok {
			continue
		}
		cmd, _, _ = strings.Cut(cmd, "#")
		args := strings.Fields(cmd)
		n++
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitOK {
			t.Errorf("README: udkit %s: exit %d\n%s", cmd, code, errb.String())
		}
		if out.Len() == 0 {
			t.Errorf("README: udkit %s: no output", cmd)
		}
	}
	if n == 0 {
		t.Error("no `go run ./cmd/udkit` command in README.md")
	}
}
