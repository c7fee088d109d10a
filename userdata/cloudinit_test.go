package userdata

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// cloudInitInput is what cloud-init itself receives for user data: EC2
// removes the base64 layer before it.
func cloudInitInput(t testing.TB, data []byte, d *Decoded) []byte {
	if d == nil || !d.Base64 {
		return data
	}
	raw, ok := maybeBase64(data)
	if !ok {
		t.Fatal("Decode said base64 but maybeBase64 disagrees")
	}
	return raw
}

// sameAsCloudInit reports how Decode's parts differ from cloud-init's,
// or "" when they agree.
func sameAsCloudInit(got []Part, want []realtools.CloudInitPart) string {
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "Decode gives %d parts, cloud-init %d\n", len(got), len(want))
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = realtools.CloudInitPart{ContentType: got[i].ContentType, Filename: got[i].Filename, MergeType: got[i].MergeType, Payload: got[i].Body}.String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		if i < len(got) && i < len(want) && got[i].ContentType == want[i].ContentType && got[i].Filename == want[i].Filename &&
			got[i].MergeType == want[i].MergeType && bytes.Equal(got[i].Body, want[i].Payload) {
			continue
		}
		fmt.Fprintf(&b, "part %d:\n  Decode:     %s\n  cloud-init: %s\n", i+1, g, w)
	}
	return b.String()
}

// TestDecodeMatchesCloudInit runs cloud-init's own parser on every file in
// testdata/decode and checks that Decode sees the same parts, types,
// filenames, merge types and bytes. Files named err-* must make Decode
// fail, and cloud-init must fail on them too unless the rejection is one
// of the documented knownDifferences.
func TestDecodeMatchesCloudInit(t *testing.T) {
	files, err := filepath.Glob("testdata/decode/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no decode corpus: %v", err)
	}
	var inputs [][]byte
	var decoded []*Decoded
	var decodeErrs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(data, Limits{})
		decoded = append(decoded, d)
		decodeErrs = append(decodeErrs, err)
		if raw, ok := maybeBase64(data); ok && d == nil {
			data = raw // cloud-init sees what EC2 has decoded
		}
		inputs = append(inputs, cloudInitInput(t, data, d))
	}
	results := realtools.CloudInitParse(t, inputs...)
	for i, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			d, err, ci := decoded[i], decodeErrs[i], results[i]
			if strings.HasPrefix(name, "err-") {
				if err == nil {
					t.Fatalf("Decode accepted it; cloud-init: parts %v, error %q", ci.Parts, ci.Err)
				}
				if !strings.HasPrefix(err.Error(), "userdata: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				class, problem := explainRejection(err.Error(), inputs[i], ci)
				if problem != "" {
					t.Error(problem)
				}
				t.Logf("%s; Decode: %v\ncloud-init: parts %v, error %q", class, err, ci.Parts, ci.Err)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v\ncloud-init: parts %v, error %q", err, ci.Parts, ci.Err)
			}
			if ci.Err != "" {
				t.Fatalf("cloud-init fails (%s) where Decode gives %d parts", ci.Err, len(d.Parts))
			}
			if diff := sameAsCloudInit(d.Parts, ci.Parts); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// TestCloudInitOracleDiscriminates proves the comparison can fail: a
// decoding that differs from cloud-init's in one byte, in the type or in
// the filename is reported.
func TestCloudInitOracleDiscriminates(t *testing.T) {
	doc := []byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.sh\r\n\r\n#!/bin/sh\r\n--B--\r\n")
	ci := realtools.CloudInitParse(t, doc)[0]
	d, err := Decode(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameAsCloudInit(d.Parts, ci.Parts); diff != "" {
		t.Fatalf("baseline differs: %s", diff)
	}
	for name, mutate := range map[string]func(p *Part){
		"byte":     func(p *Part) { p.Body = append([]byte(nil), p.Body...); p.Body[0] = 'X' },
		"type":     func(p *Part) { p.ContentType = ContentPlain },
		"filename": func(p *Part) { p.Filename = "b.sh" },
		"trailing": func(p *Part) { p.Body = append(append([]byte(nil), p.Body...), '\r', '\n') },
	} {
		parts := d.Document().Parts
		mutate(&parts[0])
		if sameAsCloudInit(parts, ci.Parts) == "" {
			t.Errorf("a %s change went unnoticed", name)
		}
	}
	if sameAsCloudInit(append(d.Document().Parts, Part{}), ci.Parts) == "" {
		t.Error("an extra part went unnoticed")
	}
}

var _ = base64.StdEncoding
