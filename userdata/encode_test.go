package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestEncodeRules(t *testing.T) {
	doc := &Document{Parts: []Part{
		{ContentType: ContentCloudConfig, Filename: "cloud-config.yaml", MergeType: MergeAppend, Body: []byte("#cloud-config\nruncmd: [ls]\n")},
		{ContentType: ContentShellScript, Filename: "10-register.sh", Body: []byte("#!/bin/sh\necho \"ok\"\n")},
		{ContentType: ContentShellScript, Filename: "20-utf8.sh", Body: []byte("#!/bin/sh\necho café\n")},
	}}
	out, err := doc.Encode(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   func([]byte) bool
	}{
		{"mime-version in first 4096 bytes", func(b []byte) bool { return bytes.Contains(b[:min(len(b), 4096)], []byte("MIME-Version: 1.0\r\n")) }},
		{"no bare LF outside bodies", func(b []byte) bool {
			s := string(b)
			for _, p := range doc.Parts {
				s = strings.Replace(s, string(p.Body), "", 1)
			}
			return !strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n")
		}},
		{"7bit for ASCII", func(b []byte) bool {
			return bytes.Contains(b, []byte("Content-Transfer-Encoding: 7bit\r\n\r\n#!/bin/sh\necho \"ok\"\n\r\n--"))
		}},
		{"base64 for UTF-8", func(b []byte) bool {
			return bytes.Contains(b, []byte("Content-Transfer-Encoding: base64\r\n\r\n"+base64.StdEncoding.EncodeToString(doc.Parts[2].Body)+"\r\n--"))
		}},
		{"merge type header", func(b []byte) bool { return bytes.Contains(b, []byte("X-Merge-Type: "+MergeAppend+"\r\n")) }},
		{"filename", func(b []byte) bool {
			return bytes.Contains(b, []byte(`Content-Disposition: attachment; filename="10-register.sh"`+"\r\n"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok(out) {
				t.Errorf("rule broken in:\n%s", out)
			}
		})
	}
	again, _ := doc.Encode(Options{})
	if !bytes.Equal(out, again) {
		t.Error("two encodings of the same document differ")
	}
}

func TestEncodeErrors(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 20000)
	tests := []struct {
		name    string
		doc     Document
		opts    Options
		wantErr string
	}{
		{"no parts", Document{}, Options{}, "document has no parts"},
		{"unknown type", Document{Parts: []Part{{ContentType: "text/x-foo", Body: []byte("x")}}}, Options{}, `part 1 (text/x-foo): content type "text/x-foo" has no cloud-init handler`},
		{"bad type", Document{Parts: []Part{{ContentType: "Text/Plain", Body: []byte("x")}}}, Options{AllowUnknownTypes: true}, "not allowed"},
		{"no slash", Document{Parts: []Part{{ContentType: "textplain"}}}, Options{}, "type/subtype"},
		{"multipart part", Document{Parts: []Part{{ContentType: "multipart/mixed"}}}, Options{AllowUnknownTypes: true}, "container"},
		{"filename quote", Document{Parts: []Part{{ContentType: ContentShellScript, Filename: `a"b`, Body: []byte("#!/bin/sh\n")}}}, Options{}, `part 1 (text/x-shellscript "a\"b"): filename`},
		{"filename newline", Document{Parts: []Part{{ContentType: ContentShellScript, Filename: "a\nb", Body: []byte("#!/bin/sh\n")}}}, Options{}, "not printable ASCII"},
		{"merge type newline", Document{Parts: []Part{{ContentType: ContentCloudConfig, MergeType: "a\r\nX: y", Body: []byte("#cloud-config\n")}}}, Options{}, "merge type"},
		{"shell part re-typed", Document{Parts: []Part{{ContentType: ContentShellScript, Filename: "x", Body: []byte("#cloud-config\n")}}}, Options{}, "would act on it as text/cloud-config"},
		{"second part bad too", Document{Parts: []Part{{ContentType: "x"}, {ContentType: "y"}}}, Options{}, "part 2 (y)"},
		{"over limit", Document{Parts: []Part{{ContentType: ContentShellScript, Filename: "big.sh", Body: big}}}, Options{Gzip: GzipNever}, `over the limit of 16384 bytes`},
		{"over custom limit gzip'd", Document{Parts: []Part{{ContentType: ContentShellScript, Filename: "big.sh", Body: big}}}, Options{Gzip: GzipAlways, Limit: 10}, `gzip'd document is`},
		{"bad gzip mode", Document{Parts: []Part{{ContentType: ContentCloudConfig}}}, Options{Gzip: 7}, "unknown gzip mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.doc.Encode(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "userdata: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestEncodeSizeLimit(t *testing.T) {
	body := bytes.Repeat([]byte("echo hello world\n"), 1200) // ~20 KB, compresses well
	doc := &Document{Parts: []Part{{ContentType: ContentShellScript, Filename: "big.sh", Body: append([]byte("#!/bin/sh\n"), body...)}}}

	_, err := doc.Encode(Options{Gzip: GzipNever})
	var se *SizeError
	if !errors.As(err, &se) {
		t.Fatalf("plain encode: err = %v, want *SizeError", err)
	}
	if se.Report.Raw <= DefaultLimit || se.Report.Gzip == 0 || len(se.Report.Parts) != 1 || se.Report.Parts[0].Body != len(doc.Parts[0].Body) {
		t.Errorf("report incomplete: %+v", se.Report)
	}
	if !strings.Contains(err.Error(), "GzipAuto") || !strings.Contains(err.Error(), `part 1 (text/x-shellscript "big.sh")`) {
		t.Errorf("error does not say what to do or name the part: %v", err)
	}

	out, rep, err := doc.EncodeReport(Options{Gzip: GzipAuto, Base64: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Gzipped || rep.Final != rep.Gzip || rep.Base64 != len(out) {
		t.Errorf("report %+v does not match output of %d bytes", rep, len(out))
	}
	raw, err := base64.StdEncoding.DecodeString(string(out))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != rep.Raw || !bytes.Contains(plain, doc.Parts[0].Body) {
		t.Errorf("gunzipped %d bytes, report says %d", len(plain), rep.Raw)
	}

	if _, err := doc.Encode(Options{Limit: -1}); err != nil {
		t.Errorf("no limit: %v", err)
	}
	small := &Document{Parts: []Part{{ContentType: ContentCloudConfig, Body: []byte("#cloud-config\n")}}}
	if _, rep, _ := small.EncodeReport(Options{Gzip: GzipAuto}); rep.Gzipped {
		t.Error("GzipAuto compressed a document that fits")
	}
}

func TestBoundaryAvoidsBodies(t *testing.T) {
	parts := []Part{{ContentType: ContentShellScript, Filename: "a", Body: []byte("#!/bin/sh\n")}}
	b := makeBoundary(parts)
	// A body that contains the boundary the parts would otherwise get.
	parts[0].Body = []byte("#!/bin/sh\n# " + b + "\n")
	b2 := makeBoundary(parts)
	if strings.Contains(string(parts[0].Body), b2) {
		t.Fatalf("boundary %q occurs in the body", b2)
	}
}
