package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every `go run ./cmd/udkit ...` line of the shell blocks of the README
// and the docs/ pages runs from the repository root and exits 0: the
// Quick start and the examples cannot rot.
func TestREADMECommands(t *testing.T) {
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir("cmd/udkit")
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	readme := 0
	for _, file := range append([]string{"README.md"}, pages...) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		k := readmeCommands(t, file, data)
		if file == "README.md" {
			readme = k
		}
		n += k
	}
	if readme == 0 {
		t.Error("no `go run ./cmd/udkit` command in README.md")
	}
	if n <= readme {
		t.Error("no `go run ./cmd/udkit` command in docs/*.md")
	}
}

// readmeCommands runs the `go run ./cmd/udkit` lines of file's shell
// blocks and returns how many there were.
func readmeCommands(t *testing.T, file string, data []byte) int {
	t.Helper()
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
			t.Errorf("%s: udkit %s: exit %d\n%s", file, cmd, code, errb.String())
		}
		if out.Len() == 0 {
			t.Errorf("%s: udkit %s: no output", file, cmd)
		}
	}
	return n
}
