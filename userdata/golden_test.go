package userdata

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
)

// seedDocument is the seed scenario: a cloud-config part that writes the
// stop-hook unit and its environment file and arms the unit, and two shell
// parts, read from testdata/seed.
func seedDocument(t testing.TB) *Document {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "seed", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &Document{Parts: []Part{
		{ContentType: ContentCloudConfig, Filename: "cloud-config.yaml", MergeType: MergeAppend, Body: read("cloud-config.yaml")},
		{ContentType: ContentShellScript, Filename: "10-register.sh", Body: read("10-register.sh")},
		{ContentType: ContentShellScript, Filename: "20-check-hook.sh", Body: read("20-check-hook.sh")},
	}}
}

// encodingsDocument holds one part for each way a body is carried.
func encodingsDocument() *Document {
	return &Document{Parts: []Part{
		{ContentType: ContentBoothook, Filename: "00-boothook", Body: []byte("#cloud-boothook\n#!/bin/sh\necho early > /run/early\n")},
		{ContentType: ContentCloudConfig, Filename: "empty.yaml", Body: []byte{}},
		{ContentType: ContentShellScript, Filename: "10-utf8.sh", Body: []byte("#!/bin/sh\necho 'café €'\n")},
		{ContentType: ContentShellScript, Filename: "20-crlf.sh", Body: []byte("#!/bin/sh\r\necho crlf\r\n")},
		{ContentType: ContentShellScriptPerBoot, Filename: "30-no-newline.sh", Body: []byte("#!/bin/sh\necho no trailing newline")},
		{ContentType: ContentShellScript, Filename: "40-long-line.sh", Body: []byte("#!/bin/sh\n# " + strings.Repeat("x", 1200) + "\n")},
		{ContentType: ContentJinja2, Filename: "jinja.yaml", MergeType: MergeAppend, Body: []byte("## template: jinja\n#cloud-config\nruncmd:\n  - echo {{ v1.instance_id }}\n")},
		{ContentType: ContentIncludeURL, Body: []byte("http://192.0.2.1/extra.yaml\n")},
		{ContentType: ContentShellScript, Filename: "50-binary", Body: []byte("#!/bin/sh\n\x00\x01\xff\xfe\n")},
		{ContentType: ContentShellScript, Filename: "60-delimiter-like.sh", Body: []byte("#!/bin/sh\n--==udkit-\n--\n")},
	}}
}

func largeDocument() *Document {
	d := &Document{}
	body := []byte("#!/bin/sh\n")
	for i := 0; len(body) < 20000; i++ {
		body = append(body, "echo \"line "...)
		body = append(body, strings.Repeat("abc", i%7)...)
		body = append(body, "\"\n"...)
	}
	return d.Add(ContentShellScript, "big.sh", body)
}

type goldenCase struct {
	name string
	doc  *Document
	opts Options
}

func goldenCases(t testing.TB) []goldenCase {
	return []goldenCase{
		{"seed", seedDocument(t), Options{}},
		{"seed-gzip-base64", seedDocument(t), Options{Gzip: GzipAlways, Base64: true}},
		{"encodings", encodingsDocument(), Options{}},
		{"large-gzip-auto", largeDocument(), Options{Gzip: GzipAuto}},
	}
}

// TestEncodeGolden compares the encoder's output with testdata/golden and
// checks that Decode gives back exactly the parts that were encoded.
func TestEncodeGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.doc.Encode(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "golden", tc.name+".golden"), out)
			d, err := Decode(out, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Base64 != tc.opts.Base64 || !d.MIME {
				t.Errorf("Decode: base64 %v mime %v", d.Base64, d.MIME)
			}
			if msg := sameParts(d.Parts, tc.doc.Parts); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestGoldenMatchesCloudInit runs cloud-init's own parser on every
// encoded golden document: it must see exactly the parts that were
// encoded.
func TestGoldenMatchesCloudInit(t *testing.T) {
	cases := goldenCases(t)
	var docs [][]byte
	for _, tc := range cases {
		out, err := os.ReadFile(filepath.Join("testdata", "golden", tc.name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		if tc.opts.Base64 {
			if out, err = base64.StdEncoding.DecodeString(string(out)); err != nil {
				t.Fatal(err)
			}
		}
		docs = append(docs, out)
	}
	res := realtools.CloudInitParse(t, docs...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if res[i].Err != "" {
				t.Fatalf("cloud-init: %s", res[i].Err)
			}
			if diff := sameAsCloudInit(tc.doc.Parts, res[i].Parts); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func sameParts(got, want []Part) string {
	var b strings.Builder
	if len(got) != len(want) {
		return "got " + strconv.Itoa(len(got)) + " parts, want " + strconv.Itoa(len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ContentType != w.ContentType || g.Filename != w.Filename || g.MergeType != w.MergeType || !bytes.Equal(g.Body, w.Body) {
			b.WriteString(label(i, w.ContentType, w.Filename) + " differs: got " + strings.Join([]string{g.ContentType, g.Filename, g.MergeType}, " | ") + " body " + string(abbrevBytes(g.Body)) + "\n")
		}
	}
	return b.String()
}

func abbrevBytes(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "..."...)
	}
	return b
}

func mustEncode(t testing.TB, d *Document) []byte {
	out, err := d.Encode(Options{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
