package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	mime := "Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.sh\r\n\r\n#!/bin/sh\r\n--B--\r\n"
	type part struct{ ct, fn, body string }
	tests := []struct {
		name         string
		in           []byte
		base64, gzip bool
		mime         bool
		want         []part
	}{
		{"cloud-config", []byte("#cloud-config\n"), false, false, false, []part{{ContentCloudConfig, "", "#cloud-config\n"}}},
		{"shebang", []byte("#!/bin/bash\necho\n"), false, false, false, []part{{ContentShellScript, "", "#!/bin/bash\necho\n"}}},
		{"boothook", []byte("#cloud-boothook\n"), false, false, false, []part{{ContentBoothook, "", "#cloud-boothook\n"}}},
		{"include", []byte("#include\nhttp://192.0.2.1/\n"), false, false, false, []part{{ContentIncludeURL, "", "#include\nhttp://192.0.2.1/\n"}}},
		{"include-once before include", []byte("#include-once\n"), false, false, false, []part{{ContentIncludeOnceURL, "", "#include-once\n"}}},
		{"part-handler", []byte("#part-handler\n"), false, false, false, []part{{ContentPartHandler, "", "#part-handler\n"}}},
		{"jinja", []byte("## template: jinja\n#cloud-config\n"), false, false, false, []part{{ContentJinja2, "", "## template: jinja\n#cloud-config\n"}}},
		{"archive before cloud-config", []byte("#cloud-config-archive\n- x\n"), false, false, false, []part{{ContentCloudConfigArchive, "", "#cloud-config-archive\n- x\n"}}},
		{"case and leading space", []byte("\n  #Cloud-Config\n"), false, false, false, []part{{ContentCloudConfig, "", "\n  #Cloud-Config\n"}}},
		{"unknown first line", []byte("hello\n"), false, false, false, []part{{ContentNotMultipart, "", "hello\n"}}},
		{"empty", nil, false, false, false, []part{{ContentNotMultipart, "", ""}}},
		{"mime re-typed", []byte(mime), false, false, true, []part{{ContentShellScript, "a.sh", "#!/bin/sh"}}},
		{"mime lower-case marker", []byte(strings.Replace(mime, "MIME-Version", "mime-VERSION", 1)), false, false, true, []part{{ContentShellScript, "a.sh", "#!/bin/sh"}}},
		{"mime-version past 4096 bytes", []byte("#!/bin/sh\n#" + strings.Repeat("x", 4096) + "\nMIME-Version: 1.0\n"), false, false, false, []part{{ContentShellScript, "", "#!/bin/sh\n#" + strings.Repeat("x", 4096) + "\nMIME-Version: 1.0\n"}}},
		{"gzip", gz(t, []byte(mime)), false, true, true, []part{{ContentShellScript, "a.sh", "#!/bin/sh"}}},
		{"base64", []byte(base64.StdEncoding.EncodeToString([]byte(mime))), true, false, true, []part{{ContentShellScript, "a.sh", "#!/bin/sh"}}},
		{"base64 with line breaks", []byte(base64.StdEncoding.EncodeToString([]byte(mime))[:20] + "\r\n" + base64.StdEncoding.EncodeToString([]byte(mime))[20:] + "\n"), true, false, true, []part{{ContentShellScript, "a.sh", "#!/bin/sh"}}},
		{"base64 unpadded", []byte(strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\n")), "=")), true, false, false, []part{{ContentShellScript, "", "#!/bin/sh\n"}}},
		{"base64 gzip", []byte(base64.StdEncoding.EncodeToString(gz(t, []byte("#cloud-config\n")))), true, true, false, []part{{ContentCloudConfig, "", "#cloud-config\n"}}},
		{"word that is valid base64 stays text", []byte("abcd"), false, false, false, []part{{ContentNotMultipart, "", "abcd"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode(tc.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Base64 != tc.base64 || d.Gzip != tc.gzip || d.MIME != tc.mime {
				t.Errorf("base64/gzip/mime = %v/%v/%v, want %v/%v/%v", d.Base64, d.Gzip, d.MIME, tc.base64, tc.gzip, tc.mime)
			}
			var got []part
			for _, p := range d.Parts {
				got = append(got, part{p.ContentType, p.Filename, string(p.Body)})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("parts = %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("part %d = %q, want %q", i+1, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	nested := "Content-Type: multipart/mixed; boundary=B0\r\nMIME-Version: 1.0\r\n\r\n"
	for i := 1; i <= 5; i++ {
		nested += "--B" + string(rune('0'+i-1)) + "\r\nContent-Type: multipart/mixed; boundary=B" + string(rune('0'+i)) + "\r\n\r\n"
	}
	many := "Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n" + strings.Repeat("--B\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\r\n", 20)
	gzPart := func(payload []byte) []byte {
		return []byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n--B\r\nContent-Type: application/x-gzip\r\nContent-Disposition: attachment; filename=\"z.sh\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString(payload) + "\r\n--B--\r\n")
	}
	tests := []struct {
		name    string
		in      []byte
		lim     Limits
		wantErr string
	}{
		{"input too large", bytes.Repeat([]byte("x"), 100), Limits{MaxInput: 99}, "input is 100 bytes, over the limit of 99 bytes (Limits.MaxInput)"},
		{"mime not utf-8", []byte("MIME-Version: 1.0\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\xff\r\n"), Limits{}, "not valid UTF-8 at byte 64"},
		{"too deep", []byte(nested), Limits{MaxDepth: 3}, "nesting deeper than 3"},
		{"too many parts", []byte(many), Limits{MaxParts: 10}, "more than 10 MIME parts"},
		{"corrupt gzip part", gzPart(gz(t, []byte("#!/bin/sh\n"))[:10]), Limits{}, `part 1 (application/x-gzip "z.sh"): gzip member 1`},
		{"gzip part not utf-8", gzPart(gz(t, []byte("\xff"))), Limits{}, `part 1 (application/x-gzip "z.sh"): gunzipped payload is not valid UTF-8`},
		{"gzip part over budget", gzPart(gz(t, bytes.Repeat([]byte("a"), 5000))), Limits{MaxInflated: 4000}, `part 1 (application/x-gzip "z.sh"): gzip data inflates past the limit`},
		{"truncated gzip document", gz(t, []byte("#!/bin/sh\necho\n"))[:20], Limits{}, "document: gzip member 1"},
		{"trailing garbage after gzip", append(gz(t, []byte("#!/bin/sh\n")), "junk"...), Limits{}, "document: gzip member 2"},
		{"uuencode", []byte("MIME-Version: 1.0\r\nContent-Type: text/x-shellscript\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n"), Limits{}, "uuencoded parts are not supported"},
		{"message/rfc822", []byte("MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\nx\r\n"), Limits{}, "message/rfc822 parts are not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in, tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "userdata: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// gzipBomb is a gzip stream of 16 MiB of zeros repeated in members: about
// 16 KB per member, 16 MiB inflated each.
func gzipBomb(t testing.TB, members int) []byte {
	one := gz(t, make([]byte, 16<<20))
	return bytes.Repeat(one, members)
}

// TestGzipBombIsBounded decodes a 512 MiB gzip bomb (about 520 KB of
// input) and checks that it fails with the inflation limit while
// allocating only a few MiB. BenchmarkDecodeGzipBomb reports the time.
func TestGzipBombIsBounded(t *testing.T) {
	bomb := gzipBomb(t, 32)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"document", bomb},
		{"base64 document", []byte(base64.StdEncoding.EncodeToString(bomb[:len(bomb)/2]))},
		{"part", []byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n--B\r\nContent-Type: application/gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(bomb[:len(bomb)/4]) + "\r\n--B--\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Decode(tc.in, Limits{})
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "Limits.MaxInflated") {
				t.Fatalf("err = %v, want the inflation limit", err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes of input: %v; %d KiB allocated", len(tc.in), err, alloc>>10)
			// A few copies of the input (string, lines, base64) plus at most a couple
			// of times DefaultMaxInflated for the growing buffer.
			if limit := uint64(6*len(tc.in) + 3*DefaultMaxInflated); alloc > limit {
				t.Errorf("allocated %d bytes decoding a gzip bomb, want at most %d", alloc, limit)
			}
		})
	}
}

// TestDecodeKeepsIncludeAndArchiveParts pins what the package doc says:
// include and archive parts inside MIME are one part each, body unchanged,
// never fetched nor expanded.
func TestDecodeKeepsIncludeAndArchiveParts(t *testing.T) {
	archive := "#cloud-config-archive\n- type: text/x-shellscript\n  content: '#!/bin/sh'\n- '#cloud-config'\n"
	include := "#include\nhttp://192.0.2.1/a\nhttp://192.0.2.1/b\n"
	doc := []byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n" +
		"--B\r\nContent-Type: text/x-include-url\r\n\r\n" + include + "\r\n" +
		"--B\r\nContent-Type: text/cloud-config-archive\r\n\r\n" + archive + "\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\n#include-once\nhttp://192.0.2.1/c\n\r\n--B--\r\n")
	d, err := Decode(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Part{
		{ContentType: ContentIncludeURL, Body: []byte(include)},
		{ContentType: ContentCloudConfigArchive, Body: []byte(archive)},
		{ContentType: ContentIncludeOnceURL, Body: []byte("#include-once\nhttp://192.0.2.1/c\n")},
	}
	if !reflect.DeepEqual(d.Parts, want) {
		t.Errorf("got %+v\nwant %+v", d.Parts, want)
	}
}

// TestDecodeBodiesIndependent checks that part bodies share nothing with
// the caller's input or with each other: Decode hands out slices of its
// own copy of the document, capped so that an append cannot spill into
// the next part.
func TestDecodeBodiesIndependent(t *testing.T) {
	doc := mustEncode(t, seedDocument(t))
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"plain", bytes.Clone(doc)},
		{"gzip", gz(t, doc)},
		{"base64", []byte(base64.StdEncoding.EncodeToString(doc))},
		{"single part", []byte("#!/bin/sh\necho one\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decode(tc.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := Decode(bytes.Clone(tc.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			// The caller reuses its input buffer.
			for i := range tc.in {
				tc.in[i] = 'X'
			}
			for i := range d.Parts {
				if !bytes.Equal(d.Parts[i].Body, want.Parts[i].Body) {
					t.Fatalf("part %d body changed with the caller's input", i+1)
				}
			}
			// Growing (into whatever capacity a body offers) and
			// overwriting one body leaves the others alone.
			for i := range d.Parts {
				body := d.Parts[i].Body
				b := append(body, bytes.Repeat([]byte("Y"), cap(body)-len(body))...)
				for j := range b {
					b[j] = 'Y'
				}
				d.Parts[i].Body = b[:0]
				for j := i + 1; j < len(d.Parts); j++ {
					if !bytes.Equal(d.Parts[j].Body, want.Parts[j].Body) {
						t.Fatalf("writing part %d changed part %d", i+1, j+1)
					}
				}
				for j := range d.Parts {
					if d.Parts[j].Filename != want.Parts[j].Filename || d.Parts[j].ContentType != want.Parts[j].ContentType {
						t.Fatalf("writing part %d changed the name or type of part %d", i+1, j+1)
					}
				}
			}
		})
	}
}
