package userdata

import (
	"strings"
	"testing"
)

func TestQuoteHeader(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"content type", "text/x-shellscript", "text/x-shellscript"},
		{"merge type", "list(append)+dict(recurse_array)+str()", "list(append)+dict(recurse_array)+str()"},
		{"space", "a b.sh", `"a b.sh"`},
		{"double quote", `a"b`, `"a\"b"`},
		{"terminal escape", "\x1b[2J\x1b[31mx.sh", `"\x1b[2J\x1b[31mx.sh"`},
		{"newline", "a\npart 2 (text/plain)", `"a\npart 2 (text/plain)"`},
		{"right-to-left override", "a\u202ehs.exe", `"a\u202ehs.exe"`},
		{"NUL", "a\x00b", `"a\x00b"`},
		{"DEL", "a\x7f", `"a\x7f"`},
		{"non-ASCII letter", "text/x-\u00e9", `"text/x-\u00e9"`},
		{"invalid UTF-8", "a\xffb", `"a\xffb"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := QuoteHeader(tc.in); got != tc.want {
				t.Errorf("QuoteHeader(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// assertPrintableASCII fails unless s is printable ASCII only: no escape
// sequence, line break, NUL or bidirectional override got through.
func assertPrintableASCII(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			t.Errorf("byte %d is %#x in %q", i, c, s)
			return
		}
	}
}

// hostileHeaders are header values an attacker who writes the user data
// could use to rewrite the terminal or fake lines of output.
var hostileHeaders = []struct {
	name string
	ct   string // raw Content-Type value (no CR or LF: it would end the header)
	fn   string // filename, percent-encoded as RFC 2231 (filename*=utf-8'')
	raw  string // the decoded filename
}{
	{"terminal escape", "text/x-shellscript\x1b[2J", "%1B%5B2J%1B%5D0%3Bpwned%07x.sh", "\x1b[2J\x1b]0;pwned\ax.sh"},
	{"newline", "text/x-shellscript", "a%0Auserdata%3A%20ok", "a\nuserdata: ok"},
	{"right-to-left override", "text/x-\u202eshellscript", "a%E2%80%AEhs.exe", "a\u202ehs.exe"},
	{"NUL", "text/x-shellscript\x00", "a%00b.sh", "a\x00b.sh"},
}

// TestLabelEscapesHostileHeaders checks that the part label in error
// messages, from decoding and from encoding, never carries a hostile
// content type or filename raw.
func TestLabelEscapesHostileHeaders(t *testing.T) {
	for _, tc := range hostileHeaders {
		t.Run(tc.name+"/decode", func(t *testing.T) {
			doc := "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
				"--B\r\nContent-Type: text/x-shellscript\r\n\r\n#!/bin/sh\r\n" +
				"--B\r\nContent-Type: " + tc.ct + "\r\nContent-Disposition: attachment; filename*=utf-8''" + tc.fn +
				"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n#!/bin/sh\r\n--B--\r\n"
			_, err := Decode([]byte(doc), Limits{})
			if err == nil {
				t.Fatal("decoded a uuencoded part")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "userdata: part 2 (") {
				t.Fatalf("error %q does not name part 2", msg)
			}
			assertPrintableASCII(t, msg)
		})
		t.Run(tc.name+"/encode", func(t *testing.T) {
			d := (&Document{}).Add(tc.ct, tc.raw, []byte("#!/bin/sh\n"))
			_, err := d.Encode(Options{AllowUnknownTypes: true})
			if err == nil {
				t.Fatal("encoded a hostile part")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "userdata: part 1 (") {
				t.Fatalf("error %q does not name part 1", msg)
			}
			assertPrintableASCII(t, msg)
		})
		t.Run(tc.name+"/label", func(t *testing.T) {
			got := label(0, tc.ct, tc.raw)
			assertPrintableASCII(t, got)
			if want := "part 1 (" + QuoteHeader(tc.ct) + " "; !strings.HasPrefix(got, want) {
				t.Errorf("label = %s, want prefix %s", got, want)
			}
		})
	}
}

func TestMessagePartErrorEscapesContentType(t *testing.T) {
	// A document that is itself message/* is one Decode refuses.
	doc := "MIME-Version: 1.0\r\nContent-Type: message/x\x1b[2J\x00\r\n\r\nx\r\n"
	_, err := Decode([]byte(doc), Limits{})
	if err == nil {
		t.Fatal("decoded a message/* document")
	}
	assertPrintableASCII(t, err.Error())
}
