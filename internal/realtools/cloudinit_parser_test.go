package realtools

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCloudInitParse checks the oracle itself on documents whose reading
// is known: it reports types after re-typing, the part's own filename and
// the name cloud-init hands the handler (part-NNN when it had none), the
// merge type and exact bytes, and cloud-init's failures as errors.
func TestCloudInitParse(t *testing.T) {
	docs := [][]byte{
		[]byte("#cloud-config\nruncmd: [ls]\n"),
		[]byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"a.sh\"\r\n\r\n#!/bin/sh\r\n" +
			"--B\r\nContent-Type: text/cloud-config\r\nX-Merge-Type: list(append)\r\n\r\n#cloud-config\n\r\n" +
			"--B\r\nContent-Type: text/x-include-url\r\n\r\nhttp://192.0.2.1/x\r\n--B--\r\n"),
		[]byte("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\xff\r\n"),
	}
	res := CloudInitParse(t, docs...)
	want := []CloudInitResult{
		{Parts: []CloudInitPart{{ContentType: "text/cloud-config", Name: "part-001", Payload: []byte("#cloud-config\nruncmd: [ls]\n")}}},
		{Parts: []CloudInitPart{
			{ContentType: "text/x-shellscript", Filename: "a.sh", Name: "a.sh", Payload: []byte("#!/bin/sh")},
			{ContentType: "text/cloud-config", Name: "part-002", MergeType: "list(append)", Payload: []byte("#cloud-config\n")},
			{ContentType: "text/x-include-url", Name: "part-003", Payload: []byte("http://192.0.2.1/x")},
		}},
	}
	for i, w := range want {
		if !reflect.DeepEqual(res[i], w) {
			t.Errorf("document %d: got %+v, want %+v", i+1, res[i], w)
		}
	}
	if res[2].Err == "" || len(res[2].Parts) != 0 {
		t.Errorf("a MIME document that is not UTF-8 must fail in cloud-init, got %+v", res[2])
	}
}

// TestCloudInitParseTime checks that the timing mode times the document
// it is given: it reports the parts cloud-init found in it, and a document
// cloud-init fails on is an error, not a time.
func TestCloudInitParseTime(t *testing.T) {
	if testing.Short() {
		t.Skip("times Python")
	}
	RequirePythonModule(t, "cloudinit")
	threeParts := []byte("Content-Type: multipart/mixed; boundary=B\r\nMIME-Version: 1.0\r\n\r\n" +
		"--B\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\r\n" +
		"--B\r\nContent-Type: text/cloud-config\r\n\r\n#cloud-config\r\n" +
		"--B\r\nContent-Type: text/cloud-boothook\r\n\r\n#cloud-boothook\r\n--B--\r\n")
	d, parts, err := cloudInitParseTime(threeParts, 5, parserTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if parts != 3 || d <= 0 {
		t.Errorf("got %d parts in %v per parse, want 3 parts in a positive time", parts, d)
	}
	if d := CloudInitParseTime(t, []byte("#cloud-config\n"), 5); d <= 0 {
		t.Errorf("time per parse %v", d)
	}
	_, _, err = cloudInitParseTime([]byte("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\xff\r\n"), 5, parserTimeout)
	if err == nil || !strings.Contains(err.Error(), "UnicodeDecodeError") {
		t.Errorf("timing a document cloud-init fails on: got error %v, want cloud-init's UnicodeDecodeError", err)
	}
}

// TestCloudInitParserTimeout checks that a parser run that outlasts its
// timeout is killed and reported as such: a billion parses cannot finish
// in half a second.
func TestCloudInitParserTimeout(t *testing.T) {
	RequirePythonModule(t, "cloudinit")
	start := time.Now()
	_, err := runParser("time", [][]byte{[]byte("#cloud-config\n")}, 500*time.Millisecond, "1000000000")
	if err == nil || !strings.Contains(err.Error(), "did not finish within 500ms and was killed") {
		t.Errorf("got error %v, want a timeout", err)
	}
	t.Logf("killed after %v: %v", time.Since(start), err)
}
