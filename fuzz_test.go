package udkit_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

// FuzzParseSpecFile feeds arbitrary spec files through the parser, Build
// and Encode: none may panic, an accepted spec renders the same bytes
// twice, and the result decodes to the parts that were built.
func FuzzParseSpecFile(f *testing.F) {
	for _, dir := range []string{"specs", "errors"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	if data, err := os.ReadFile("examples/managed-server/spec.yaml"); err == nil {
		f.Add(data)
	}
	dir := fstest.MapFS{
		"register.sh":   {Data: []byte("#!/bin/sh\ntrue\n")},
		"check-hook.sh": {Data: []byte("#!/bin/sh\ntrue\n")},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := udkit.ParseSpecFile(data, dir)
		if err != nil {
			if sf != nil {
				t.Fatal("a spec and an error")
			}
			return
		}
		b, err := udkit.Build(sf.Spec)
		if err != nil {
			return
		}
		o := udkit.Options{Gzip: sf.Output.Gzip, Limit: -1, AcceptErrors: true}
		out, err := b.Encode(o)
		if err != nil {
			return // a part the encoder refuses (bad filename, say)
		}
		again, err := b.Encode(o)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("second encoding differs (%v)", err)
		}
		d, err := userdata.Decode(out, userdata.Limits{MaxInput: len(out) + 1, MaxInflated: 64 << 20})
		if err != nil {
			t.Fatalf("udkit's own output does not decode: %v", err)
		}
		if len(d.Parts) != len(b.Document.Parts) {
			t.Fatalf("decoded %d parts, built %d", len(d.Parts), len(b.Document.Parts))
		}
	})
}

// FuzzLint feeds arbitrary input to Lint: it must not panic, every
// diagnostic must have a rule and a message, and a line only within the
// input.
func FuzzLint(f *testing.F) {
	for _, pattern := range []string{"testdata/render/*.golden", "examples/managed-server/testdata/*.golden", "unit/testdata/golden/*.service", "userdata/testdata/seed/*"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, diags, err := udkit.Lint(data)
		if err != nil {
			return
		}
		// YAML counts a lone carriage return as a line break too.
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
		for _, d := range diags {
			if d.Rule == "" || d.Message == "" {
				t.Fatalf("diagnostic without rule or message: %+v", d)
			}
			if d.Line < 0 || d.Line > lines {
				t.Fatalf("line %d outside the input's %d lines: %s", d.Line, lines, d)
			}
		}
	})
}
