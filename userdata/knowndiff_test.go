package userdata

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// knownDifference is an input class on which Decode deliberately fails
// while cloud-init's parser returns parts. The list below is the only
// place such a disagreement is allowed; every entry is documented in the
// package doc (doc.go, "Known differences") and in docs/userdata.md (the
// page the README links for the userdata package), and the tests fail on
// any rejection of a document cloud-init parses that no entry explains.
type knownDifference struct {
	name   string
	reason string
	// match reports whether Decode's error message belongs to the class.
	match func(msg string) bool
	// check, when set, verifies what cloud-init does with such an input
	// (in is the document cloud-init was given); it returns "" when
	// cloud-init behaves as the entry says.
	check func(in []byte, ci realtools.CloudInitResult) string
}

func contains(sub string) func(string) bool {
	return func(msg string) bool { return strings.Contains(msg, sub) }
}

var knownDifferences = []knownDifference{
	{
		name: "message-parts",
		reason: "a document that is itself message/* (cloud-init then reports it under the type of the last part it " +
			"processed), and message/delivery-status parts (blocks of headers): Decode refuses them; message/* parts " +
			"inside a multipart are decoded as cloud-init walks them",
		match: contains(" parts are not supported ("),
		check: func(_ []byte, ci realtools.CloudInitResult) string {
			for _, p := range ci.Parts {
				if strings.HasPrefix(p.ContentType, "message/") {
					return ""
				}
			}
			return "cloud-init shows no message/* part"
		},
	},
	{
		name: "corrupt-gzip-document",
		reason: "a whole document that starts with the gzip magic but does not inflate: cloud-init's decomp_gzip falls back " +
			"to the compressed bytes and hands them on as one text/x-not-multipart part, which no handler acts on; " +
			"Decode reports the corrupt gzip instead of returning that useless part",
		match: contains("cloud-init would take the compressed bytes for an unknown document"),
		check: func(in []byte, ci realtools.CloudInitResult) string {
			if len(ci.Parts) != 1 || ci.Parts[0].ContentType != ContentNotMultipart || !bytes.Equal(ci.Parts[0].Payload, in) {
				return "cloud-init does not read it as one text/x-not-multipart part holding the compressed bytes"
			}
			return ""
		},
	},
	{
		name:   "uuencode",
		reason: "parts with Content-Transfer-Encoding x-uuencode (or uuencode, uue, x-uue): Python decodes them, Decode does not implement uudecoding",
		match:  contains("uuencoded parts are not supported"),
	},
	{
		name: "rfc2231-charset",
		reason: "RFC 2231 parameters (filename*=charset''...) in a charset other than UTF-8, US-ASCII and Latin-1, or " +
			"with a continuation number too large to be an int: Python decodes them with its codec registry, Decode refuses them",
		match: func(msg string) bool {
			return strings.Contains(msg, "unsupported: RFC 2231 ") || strings.Contains(msg, "continuation number that is too large")
		},
	},
	{
		name: "limits",
		reason: "input over a Limits field (MaxInput, MaxInflated, MaxParts, MaxDepth): cloud-init has no such caps; " +
			"Decode stops so that hostile input cannot exhaust memory or time",
		match: func(msg string) bool {
			return strings.Contains(msg, "(Limits.") || strings.Contains(msg, errTooLarge.Error())
		},
	},
}

// explainRejection classifies a document Decode rejected with msg, given
// what cloud-init made of it (in is the document cloud-init was given).
// It returns the class ("cloud-init fails too" or a knownDifference
// name), or a problem to report: cloud-init parses a document that no
// known difference explains, Decode claims cloud-init fails where it does
// not, or cloud-init does not behave as a known difference says.
func explainRejection(msg string, in []byte, ci realtools.CloudInitResult) (class, problem string) {
	// Decode claims cloud-init fails: that must be so.
	claimsFail := strings.Contains(msg, "cloud-init fails") || strings.Contains(msg, "makes cloud-init's parser fail")
	if ci.Err != "" {
		return "cloud-init fails too", ""
	}
	if claimsFail {
		return "", fmt.Sprintf("Decode: %s\nbut cloud-init reads %v", msg, ci.Parts)
	}
	for _, k := range knownDifferences {
		if !k.match(msg) {
			continue
		}
		if k.check != nil {
			if p := k.check(in, ci); p != "" {
				return "", fmt.Sprintf("Decode: %s\nknown difference %s, but %s: %v", msg, k.name, p, ci.Parts)
			}
		}
		return k.name, ""
	}
	return "", fmt.Sprintf("Decode: %s\nbut cloud-init parses it into %d parts %v, and no known difference explains it", msg, len(ci.Parts), ci.Parts)
}

// TestExplainRejection proves the classification can fail: an
// unexplained rejection, a false claim that cloud-init fails and a known
// difference where cloud-init does something else are all problems.
func TestExplainRejection(t *testing.T) {
	someParts := realtools.CloudInitResult{Parts: []realtools.CloudInitPart{{ContentType: "text/x-shellscript", Payload: []byte("#!/bin/sh\n")}}}
	rfc822Parts := realtools.CloudInitResult{Parts: []realtools.CloudInitPart{{ContentType: "message/rfc822"}, {ContentType: "text/x-shellscript", Payload: []byte("#!/bin/sh\n")}}}
	gz := []byte("\x1f\x8b\x08junk")
	for _, tc := range []struct {
		name      string
		msg       string
		in        []byte
		ci        realtools.CloudInitResult
		class     string
		wantIssue bool
	}{
		{"both fail", "userdata: document: MIME document is not valid UTF-8 at byte 3, and cloud-init fails on it", nil, realtools.CloudInitResult{Err: "UnicodeDecodeError: x"}, "cloud-init fails too", false},
		{"unknown rejection", "userdata: part 1 (text/plain): something new", nil, someParts, "", true},
		{"false claim that cloud-init fails", "userdata: part 1 (application/gzip): x; cloud-init fails on this part", nil, someParts, "", true},
		{"false claim, mixed continuations", "userdata: part 1 (text/plain): filename: unsupported: parameter filename mixes filename* and numbered continuations, which makes cloud-init's parser fail", nil, someParts, "", true},
		{"message/rfc822", "userdata: document: message/rfc822 parts are not supported (cloud-init has no handler for them)", nil, rfc822Parts, "message-parts", false},
		{"message/rfc822 but cloud-init shows none", "userdata: document: message/rfc822 parts are not supported (cloud-init has no handler for them)", nil, someParts, "", true},
		{"corrupt gzip document", "userdata: document: gzip member 1: header truncated; cloud-init would take the compressed bytes for an unknown document", gz,
			realtools.CloudInitResult{Parts: []realtools.CloudInitPart{{ContentType: ContentNotMultipart, Payload: gz}}}, "corrupt-gzip-document", false},
		{"corrupt gzip document, other bytes", "userdata: document: gzip member 1: header truncated; cloud-init would take the compressed bytes for an unknown document", gz,
			realtools.CloudInitResult{Parts: []realtools.CloudInitPart{{ContentType: ContentNotMultipart, Payload: []byte("x")}}}, "", true},
		{"limit", "userdata: part 3 (text/plain): more than 2 parts (Limits.MaxParts)", nil, someParts, "limits", false},
		{"uuencode", "userdata: part 1 (text/x-shellscript): uuencoded parts are not supported; use base64", nil, someParts, "uuencode", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, problem := explainRejection(tc.msg, tc.in, tc.ci)
			if class != tc.class || (problem != "") != tc.wantIssue {
				t.Errorf("got class %q, problem %q; want class %q, problem: %v", class, problem, tc.class, tc.wantIssue)
			}
		})
	}
}

// TestKnownDifferencesDocumented checks that every known difference is
// named in the package doc and in docs/userdata.md, so the list and the
// documentation cannot drift apart.
func TestKnownDifferencesDocumented(t *testing.T) {
	for _, f := range []string{"doc.go", "../docs/userdata.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range knownDifferences {
			if !bytes.Contains(b, []byte("("+k.name+")")) {
				t.Errorf("%s does not document the known difference %q as \"(%s)\"", f, k.name, k.name)
			}
		}
	}
}

func knownDifferenceNames() []string {
	var names []string
	for _, k := range knownDifferences {
		names = append(names, k.name)
	}
	return names
}
