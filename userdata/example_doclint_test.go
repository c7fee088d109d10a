package userdata_test

import (
	"fmt"

	"github.com/udkit/udkit/userdata"
)

// LintDocument names what cloud-init passes over in silence: here a
// script appended after the close delimiter, which never runs.
func ExampleLintDocument() {
	doc := []byte("MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho runs\n" +
		"--b--\n" +
		"#!/bin/sh\necho never runs\n")
	d, err := userdata.Decode(doc, userdata.Limits{})
	if err != nil {
		panic(err)
	}
	for _, f := range userdata.LintDocument(doc, d) {
		fmt.Println(f)
	}
	// Output:
	// line 10: error: 26 bytes follow the close delimiter ("#!/bin/sh\necho never runs"): cloud-init drops everything after it, so that text never runs; move it into a part before the close delimiter [epilogue]
}
