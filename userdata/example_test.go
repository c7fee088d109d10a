package userdata_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/udkit/udkit/userdata"
)

// A cloud-config part and a script, encoded as plain MIME: CRLF structure,
// a boundary derived from the content, bodies untouched.
func ExampleDocument_Encode() {
	doc := &userdata.Document{}
	doc.Add(userdata.ContentCloudConfig, "cloud-config.yaml", []byte("#cloud-config\nruncmd: [[systemctl, daemon-reload]]\n"))
	doc.Add(userdata.ContentShellScript, "10-register.sh", []byte("#!/bin/sh\necho registered\n"))
	out, err := doc.Encode(userdata.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.SplitAfter(string(out), "\r\n") {
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "Content-Type: multipart/mixed; boundary=\"==udkit-292efe35296acd940e415ff4\"\r\n"
	// "MIME-Version: 1.0\r\n"
	// "\r\n"
	// "--==udkit-292efe35296acd940e415ff4\r\n"
	// "Content-Type: text/cloud-config\r\n"
	// "Content-Disposition: attachment; filename=\"cloud-config.yaml\"\r\n"
	// "Content-Transfer-Encoding: 7bit\r\n"
	// "\r\n"
	// "#cloud-config\nruncmd: [[systemctl, daemon-reload]]\n\r\n"
	// "--==udkit-292efe35296acd940e415ff4\r\n"
	// "Content-Type: text/x-shellscript\r\n"
	// "Content-Disposition: attachment; filename=\"10-register.sh\"\r\n"
	// "Content-Transfer-Encoding: 7bit\r\n"
	// "\r\n"
	// "#!/bin/sh\necho registered\n\r\n"
	// "--==udkit-292efe35296acd940e415ff4--\r\n"
	// ""
}

// Over the limit, Encode reports the size of every part and of the gzip'd
// document instead of truncating; GzipAuto compresses only when needed.
func ExampleDocument_EncodeReport() {
	doc := &userdata.Document{}
	doc.Add(userdata.ContentShellScript, "big.sh", []byte("#!/bin/sh\n"+strings.Repeat("echo 'a long but repetitive script'\n", 600)))

	_, err := doc.Encode(userdata.Options{Gzip: userdata.GzipNever})
	var se *userdata.SizeError
	fmt.Println(errors.As(err, &se), se.Report.Raw > 16384, se.Report.Gzip < 16384)

	out, rep, err := doc.EncodeReport(userdata.Options{Gzip: userdata.GzipAuto, Base64: true})
	fmt.Println(err, rep.Gzipped, rep.Base64 == len(out))
	// Output:
	// true true true
	// <nil> true true
}

// Decode reads user data as cloud-init does: here base64 of a single
// script, typed by its first line.
func ExampleDecode() {
	d, err := userdata.Decode([]byte("IyEvYmluL3NoCmVjaG8gaGVsbG8K"), userdata.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Base64, d.Gzip, d.MIME)
	for _, p := range d.Parts {
		fmt.Printf("%s %q %q\n", p.ContentType, p.Filename, p.Body)
	}
	// Output:
	// true false false
	// text/x-shellscript "" "#!/bin/sh\necho hello\n"
}

// Two cloud-config parts that both set runcmd: without a merge type the
// second replaces the first's list. Scripts run sorted by filename.
func ExampleLint() {
	doc := &userdata.Document{Parts: []userdata.Part{
		{ContentType: userdata.ContentCloudConfig, Body: []byte("#cloud-config\nruncmd: [a]\n")},
		{ContentType: userdata.ContentCloudConfig, Body: []byte("#cloud-config\nruncmd: [b]\n")},
		{ContentType: userdata.ContentShellScript, Filename: "register.sh", Body: []byte("#!/bin/sh\n")},
		{ContentType: userdata.ContentShellScript, Filename: "check.sh", Body: []byte("#!/bin/sh\n")},
	}}
	for _, d := range userdata.Lint(doc) {
		fmt.Println(d.Part, d.Severity, d.Rule)
	}
	// Output:
	// 2 warning cloud-config-key-replaced
	// 4 warning script-order
}
