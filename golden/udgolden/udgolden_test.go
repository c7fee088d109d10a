package udgolden

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so that the failure path can itself be tested.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Logf(string, ...any)               {}

const doc = "Content-Type: multipart/mixed; boundary=\"%s\"\nMIME-Version: 1.0\n\n" +
	"--%[1]s\nContent-Type: text/cloud-config\n\n#cloud-config\npackages: [curl]\nwrite_files:\n  - path: /etc/default/app\n    content: |\n      CLUSTER=%s\n" +
	"--%[1]s\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"hello.sh\"\n\n#!/bin/sh\necho hello\n" +
	"--%[1]s--\n"

func gzipBase64(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return []byte(base64.StdEncoding.EncodeToString(b.Bytes()))
}

func TestAssertUserData(t *testing.T) {
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		t.Skip("with -update, AssertUserData writes instead of comparing")
	}
	path := filepath.Join(t.TempDir(), "user-data.golden")
	if err := os.WriteFile(path, gzipBase64(t, fmt.Sprintf(doc, "one", "c1")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("same content, other encoding and boundary", func(t *testing.T) {
		r := &recorder{TB: t}
		AssertUserData(r, path, []byte(fmt.Sprintf(doc, "two", "c1")))
		if len(r.errors) != 0 {
			t.Errorf("failed: %q", r.errors)
		}
	})
	t.Run("changed", func(t *testing.T) {
		r := &recorder{TB: t}
		AssertUserData(r, path, gzipBase64(t, fmt.Sprintf(doc, "one", "c2")))
		if len(r.errors) != 1 {
			t.Fatalf("%d errors, want 1: %q", len(r.errors), r.errors)
		}
		msg := r.errors[0]
		for _, want := range []string{
			"user data differs as cloud-init sees it (-want +got)",
			"@@ part 1 (text/cloud-config) @@\n-write_files[/etc/default/app].content: CLUSTER=c1\n+write_files[/etc/default/app].content: CLUSTER=c2\n",
			"If the new output is right, rewrite the file with: go test ./golden/udgolden -run '^TestAssertUserData$/^changed$' -update",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	})
	t.Run("undecodable", func(t *testing.T) {
		r := &recorder{TB: t}
		AssertUserData(r, path, []byte("Content-Type: multipart/mixed; boundary=B\nMIME-Version: 1.0\n\n--B\nContent-Type: text/x-shellscript\n\n\xff\xfe\n--B--\n"))
		if len(r.errors) != 1 || !strings.Contains(r.errors[0], "cannot be decoded") || !strings.Contains(r.errors[0], "-update") {
			t.Errorf("errors: %q", r.errors)
		}
	})
	t.Run("missing", func(t *testing.T) {
		r := &recorder{TB: t}
		AssertUserData(r, path+".nope", []byte("#!/bin/sh\n"))
		if len(r.errors) != 1 || !strings.Contains(r.errors[0], "does not exist; create it with: go test") {
			t.Errorf("errors: %q", r.errors)
		}
	})
}
