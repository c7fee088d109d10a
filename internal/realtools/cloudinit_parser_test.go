package realtools

import (
	"reflect"
	"testing"
)

// TestCloudInitParse checks the oracle itself on documents whose reading
// is known: it reports types after re-typing, the part's own filename (not
// cloud-init's part-NNN), the merge type and exact bytes, and cloud-init's
// failures as errors.
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
		{Parts: []CloudInitPart{{ContentType: "text/cloud-config", Payload: []byte("#cloud-config\nruncmd: [ls]\n")}}},
		{Parts: []CloudInitPart{
			{ContentType: "text/x-shellscript", Filename: "a.sh", Payload: []byte("#!/bin/sh")},
			{ContentType: "text/cloud-config", MergeType: "list(append)", Payload: []byte("#cloud-config\n")},
			{ContentType: "text/x-include-url", Payload: []byte("http://192.0.2.1/x")},
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

func TestCloudInitParseTime(t *testing.T) {
	if testing.Short() {
		t.Skip("times Python")
	}
	if d := CloudInitParseTime(t, []byte("#cloud-config\n"), 5); d <= 0 {
		t.Errorf("time per parse %v", d)
	}
}
