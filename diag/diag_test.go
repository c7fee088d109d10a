package diag_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/udkit/udkit/diag"
)

func TestSeverityOrderAndText(t *testing.T) {
	if !(diag.Info < diag.Warning && diag.Warning < diag.Error) {
		t.Fatal("severities must order Info < Warning < Error")
	}
	for _, s := range []diag.Severity{diag.Info, diag.Warning, diag.Error} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back diag.Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v: round trip gave %v, %v", s, back, err)
		}
	}
	if _, err := diag.Severity(7).MarshalText(); err == nil {
		t.Error("severity 7 marshalled")
	}
	if _, err := diag.ParseSeverity("fatal"); err == nil {
		t.Error(`ParseSeverity("fatal") succeeded`)
	}
}

func TestDiagnosticJSON(t *testing.T) {
	d := diag.Diagnostic{Part: 1, PartLabel: `text/cloud-config "a"`, Path: "runcmd[0]", Line: 4, Severity: diag.Error, Rule: "r", Message: "m"}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"part":1,"part_label":"text/cloud-config \"a\"","path":"runcmd[0]","line":4,"severity":"error","rule":"r","message":"m"}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text/with \\ back", "plain text/with \\ back"},
		{"tab\tkept", "tab\tkept"},
		{"\x1b]8;;http://x\x07", `\x1b]8;;http://x\a`},
		{"a\nb\rc", `a\nb\rc`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"sep\u2028x", `sep\u2028x`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"zwj\u200dx", `zwj\u200dx`},
		{"naïve 日本", "naïve 日本"},
	} {
		if got := diag.Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := diag.Quote("a\"b\\c\x1b"); got != `"a\"b\\c\x1b"` {
		t.Errorf("Quote = %s", got)
	}
}

func TestEscapeNoAlloc(t *testing.T) {
	s := "write_files[0].path: /etc/systemd/system/x.service"
	if n := testing.AllocsPerRun(100, func() { _ = diag.Escape(s) }); n != 0 {
		t.Errorf("Escape of clean text allocated %v times", n)
	}
}

func TestListHelpers(t *testing.T) {
	l := diag.List{
		{Part: 2, Severity: diag.Warning, Rule: "b"},
		{Part: 1, Line: 3, Severity: diag.Error, Rule: "a"},
		{Part: 1, Line: 1, Severity: diag.Info, Rule: "c"},
	}
	if !l.HasErrors() || len(l.Errors()) != 1 || len(l.AtLeast(diag.Warning)) != 2 {
		t.Error("severity filters wrong")
	}
	if got := l.Without("a"); got.HasErrors() || len(got) != 2 {
		t.Errorf("Without(a) = %v", got)
	}
	l.Sort()
	if l[0].Rule != "c" || l[1].Rule != "a" || l[2].Rule != "b" {
		t.Errorf("Sort order: %v", l)
	}
	if _, ok := (diag.List{}).Max(); ok {
		t.Error("Max of empty list reported a severity")
	}
}

func ExampleDiagnostic_String() {
	d := diag.Diagnostic{
		Part: 1, PartLabel: `text/cloud-config "cloud-config"`,
		Path: "write_files[0].content", UnitLine: 9,
		Severity: diag.Error, Rule: "remain-after-exit",
		Message: "a oneshot stop hook needs RemainAfterExit=yes",
	}
	fmt.Println(d)
	// Output:
	// part 1 (text/cloud-config "cloud-config"): write_files[0].content: unit line 9: error: a oneshot stop hook needs RemainAfterExit=yes [remain-after-exit]
}

// A finding about a unit inside a write_files entry names the unit and
// its line, after the line in the document.
func ExampleDiagnostic_Location() {
	d := diag.Diagnostic{Path: "write_files[0].content", Line: 14, Unit: "app.service", UnitLine: 7}
	fmt.Println(d.Location())
	// Output:
	// write_files[0].content: line 14: unit app.service line 7
}

func ExampleEscape() {
	fmt.Println(diag.Escape("/etc/\x1b[2Jmotd\u202e"))
	// Output:
	// /etc/\x1b[2Jmotd\u202e
}
