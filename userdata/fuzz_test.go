package userdata

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addFileSeeds adds every file of the decode corpus and every golden
// document as a seed.
func addFileSeeds(f *testing.F) {
	for _, pat := range []string{"testdata/decode/*", "testdata/golden/*.golden"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzDecode checks that Decode never panics, stays within its limits,
// fails only with package errors, and is deterministic.
func FuzzDecode(f *testing.F) {
	addFileSeeds(f)
	lim := Limits{MaxInput: 1 << 16, MaxInflated: 1 << 16, MaxParts: 64, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data, lim)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "userdata: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		if len(d.Parts) > lim.MaxParts {
			t.Fatalf("%d parts, over MaxParts %d", len(d.Parts), lim.MaxParts)
		}
		if d.Size > max(len(data), lim.MaxInflated) {
			t.Fatalf("document of %d bytes from %d bytes of input, over the limits", d.Size, len(data))
		}
		total := 0
		for _, p := range d.Parts {
			total += len(p.Body)
		}
		// Parts come from disjoint pieces of the document or from
		// inflation; 8-bit text may grow 2.5x when cloud-init re-encodes
		// it.
		if bound := 3 * (d.Size + lim.MaxInflated); total > bound {
			t.Fatalf("parts hold %d bytes, over %d", total, bound)
		}
		again, err := Decode(data, lim)
		if err != nil || !reflect.DeepEqual(d, again) {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}

var fuzzTypes = []string{
	ContentCloudConfig, ContentShellScript, ContentShellScriptPerBoot, ContentShellScriptPerInst,
	ContentShellScriptPerOnce, ContentBoothook, ContentPartHandler, ContentIncludeURL,
	ContentIncludeOnceURL, ContentCloudConfigArchive, ContentJinja2,
}

// FuzzRoundTrip checks that every document Encode accepts decodes to the
// same parts.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), "cloud-config.yaml", MergeAppend, []byte("#cloud-config\nruncmd: [ls]\n"), []byte("#!/bin/sh\necho\n"), uint8(0), false)
	f.Add(uint8(1), "10-register.sh", "", []byte("#!/bin/sh\necho café\r\n"), []byte{}, uint8(1), true)
	f.Add(uint8(7), "", "x", []byte("http://192.0.2.1/\n"), []byte("--==udkit-\n"), uint8(2), false)
	f.Add(uint8(3), "a;b=c d.sh", "list()", []byte("\x00\xff"), bytes.Repeat([]byte("y"), 1000), uint8(0), true)
	f.Fuzz(func(t *testing.T, ct uint8, filename, merge string, body, body2 []byte, gz uint8, b64 bool) {
		doc := &Document{Parts: []Part{
			{ContentType: fuzzTypes[int(ct)%len(fuzzTypes)], Filename: filename, MergeType: merge, Body: body},
			{ContentType: ContentCloudConfig, Filename: "second", Body: body2},
		}}
		out, err := doc.Encode(Options{Gzip: GzipMode(gz % 3), Base64: b64, Limit: -1})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "userdata: part 1 (") {
				t.Fatalf("error does not name the part: %v", err)
			}
			return
		}
		d, err := Decode(out, Limits{MaxInput: 1 << 24, MaxInflated: 1 << 24})
		if err != nil {
			t.Fatalf("Decode of encoded document: %v\n%q", err, out)
		}
		if msg := sameParts(d.Parts, doc.Parts); msg != "" {
			t.Fatalf("round trip differs:\n%s\n%q", msg, out)
		}
	})
}
