//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/udkit/udkit/userdata"
)

// TestExtractPartsUmask checks that a restrictive umask does not change
// the documented modes: files 0644, a new directory 0755. (No test of this
// package runs in parallel, so changing the process's umask is safe.)
func TestExtractPartsUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "out")
	d := &userdata.Decoded{Parts: []userdata.Part{{ContentType: "text/x-shellscript", Filename: "a.sh", Body: []byte("#!/bin/sh\n")}}}
	paths, err := extractParts(d, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o755 | os.ModeDir, paths[0]: 0o644} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
}
