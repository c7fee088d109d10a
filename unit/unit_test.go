package unit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreLines compares units by content only.
var ignoreLines = cmp.Options{
	cmpopts.IgnoreFields(Section{}, "Line"),
	cmpopts.IgnoreFields(Option{}, "Line"),
	cmpopts.EquateEmpty(),
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Unit
	}{
		{
			name: "empty",
			in:   "",
			want: &Unit{},
		},
		{
			name: "sections and repeated keys with lines",
			in:   "[Unit]\nDescription=x\n\n[Service]\nExecStop=/a\nExecStop=/b\n",
			want: &Unit{Sections: []Section{
				{Name: "Unit", Line: 1, Options: []Option{{Key: "Description", Value: "x", Line: 2}}},
				{Name: "Service", Line: 4, Options: []Option{{Key: "ExecStop", Value: "/a", Line: 5}, {Key: "ExecStop", Value: "/b", Line: 6}}},
			}},
		},
		{
			name: "whitespace around key and value is stripped",
			in:   "  [Service]  \n\t Type \t=  oneshot  \n",
			want: &Unit{Sections: []Section{{Name: "Service", Line: 1, Options: []Option{{Key: "Type", Value: "oneshot", Line: 2}}}}},
		},
		{
			name: "comments with # and ; anywhere after blanks",
			in:   "# c\n[A]\n  ; c\nK=v # not a comment\n",
			want: &Unit{Sections: []Section{{Name: "A", Line: 2, Options: []Option{{Key: "K", Value: "v # not a comment", Line: 4}}}}},
		},
		{
			name: "continuation joins with a space, comments inside are skipped",
			in:   "[Service]\nExecStart=/bin/echo a \\\n# comment\n  b\nX=y\n",
			want: &Unit{Sections: []Section{{Name: "Service", Line: 1, Options: []Option{
				{Key: "ExecStart", Value: "/bin/echo a    b", Line: 2},
				{Key: "X", Value: "y", Line: 5},
			}}}},
		},
		{
			name: "escaped backslash at end is no continuation",
			in:   "[A]\nK=a\\\\\nL=b\n",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "K", Value: `a\\`, Line: 2}, {Key: "L", Value: "b", Line: 3}}}}},
		},
		{
			name: "continuation open at end of file",
			in:   "[A]\nK=a\\",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "K", Value: "a", Line: 2}}}}},
		},
		{
			name: "crlf and bom",
			in:   "\xef\xbb\xbf[A]\r\nK=v\r\n",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "K", Value: "v", Line: 2}}}}},
		},
		{
			name: "empty value resets and is kept",
			in:   "[A]\nK=\n",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "K", Value: "", Line: 2}}}}},
		},
		{
			name: "value with = and quotes kept verbatim",
			in:   "[A]\nEnvironment=\"A=b c\" D=e\n",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "Environment", Value: `"A=b c" D=e`, Line: 2}}}}},
		},
		{
			name: "no trailing newline",
			in:   "[A]\nK=v",
			want: &Unit{Sections: []Section{{Name: "A", Line: 1, Options: []Option{{Key: "K", Value: "v", Line: 2}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"option before section", "K=v\n", "unit line 1: option \"K\" comes before any [Section] header"},
		{"no equals", "[A]\n\nExecStop /bin/x\n", "unit line 3: \"ExecStop /bin/x\" is neither Key=Value"},
		{"unterminated header", "[A]\n[Service\n", "unit line 2: section header \"[Service\" does not end in ']'"},
		{"empty header", "[]\n", "unit line 1: empty section name"},
		{"empty key", "[A]\n=v\n", "unit line 2: empty key"},
		{"bad key", "[A]\nK K=v\n", "unit line 2: key \"K K\" has character ' '"},
		{"bare carriage return", "[A]\nK=a\rL=b\n", "unit line 2: contains a carriage return"},
		{"nul", "[A]\nK=a\x00\n", "unit line 2: contains control character U+0000"},
		{"escape char", "[A]\nK=\x1b[31m\n", "unit line 2: contains control character U+001B"},
		{"invalid utf8", "[A]\nK=\xff\n", "unit line 2: text is not valid UTF-8"},
		{"long line", "[A]\nK=" + strings.Repeat("x", MaxLineLen) + "\n", "unit line 2: line is over 2048 bytes"},
		{"long continued line", "[A]\nK=" + strings.Repeat("x", 1500) + "\\\n" + strings.Repeat("y", 1500) + "\n", "unit line 2: continued line is 3003 bytes"},
		{"lone backslash before blank", "[A]\nK=a\\ \n", "unit line 2: value of K ends in a lone backslash"},
		{"too large", "[A]\n" + strings.Repeat("K=v\n", MaxSize/4+1), "input is over 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Parse(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %d sections, want error containing %q", len(u.Sections), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMarshal(t *testing.T) {
	u := &Unit{}
	u.Add("Unit", "Description", "d")
	u.Add("Service", "ExecStop", "/a")
	u.Add("Unit", "After", "x.target")
	u.Add("Service", "ExecStop", "")
	got, err := u.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "[Unit]\nDescription=d\nAfter=x.target\n\n[Service]\nExecStop=/a\nExecStop=\n"
	if string(got) != want {
		t.Errorf("Marshal mismatch (-want +got):\n%s", cmp.Diff(want, string(got)))
	}
	if empty, err := (&Unit{}).Marshal(); err != nil || len(empty) != 0 {
		t.Errorf("Marshal of an empty unit = %q, %v; want no bytes", empty, err)
	}
}

func TestMarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		u    Unit
		want string
	}{
		{"newline injects a section", Unit{Sections: []Section{{Name: "Service", Options: []Option{{Key: "ExecStop", Value: "/bin/x\n[Install]\nWantedBy=evil.target"}}}}}, "unit: [Service] ExecStop (option 1): value contains a newline"},
		{"carriage return", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: "a\rb"}}}}}, "carriage return"},
		{"control char", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: "a\x07"}}}}}, "control character U+0007"},
		{"leading space", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: " a"}}}}}, "leading or trailing whitespace"},
		{"trailing backslash", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: `a\`}}}}}, "lone backslash"},
		{"key with equals", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K=", Value: "a"}}}}}, "unit: [S] option 1: key \"K=\""},
		{"key with newline", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K\nX", Value: "a"}}}}}, "unit: [S] option 1: key"},
		{"section with bracket", Unit{Sections: []Section{{Name: "S]\n[T"}}}, "unit: section 1: section name"},
		{"empty section", Unit{Sections: []Section{{Name: ""}}}, "unit: section 1: empty section name"},
		{"too long", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: strings.Repeat("x", MaxLineLen)}}}}}, "over the 2048-byte limit"},
		{"invalid utf8", Unit{Sections: []Section{{Name: "S", Options: []Option{{Key: "K", Value: "\xff"}}}}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.u.Marshal()
			if err == nil {
				t.Fatalf("Marshal succeeded: %q", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Marshal error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	u, err := Parse(strings.NewReader("[Unit]\nAfter=a\n[Service]\nX=1\n[Unit]\nAfter=b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Values("Unit", "After"); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("Values(Unit, After) = %q, want [a b]", got)
	}
	if got := u.Options("Unit", "After"); len(got) != 2 || got[1].Line != 6 {
		t.Errorf("Options(Unit, After) = %+v, want two with the second on line 6", got)
	}
	if s := u.Section("Service"); s == nil || s.Line != 3 || !cmp.Equal(s.Values("X"), []string{"1"}) {
		t.Errorf("Section(Service) = %+v", s)
	}
	if s := u.Section("Install"); s != nil {
		t.Errorf("Section(Install) = %+v, want nil", s)
	}
}

// Issue 16 item 5: a section name of 2047 bytes made a 2049-byte header
// line that Parse refuses (the FuzzMarshal crasher in
// testdata/fuzz/FuzzMarshal/section-header-2047). Marshal now refuses it;
// 2046 bytes, a 2048-byte line, still round-trips.
func TestMarshalSectionHeaderLimit(t *testing.T) {
	for _, n := range []int{MaxLineLen - 2, MaxLineLen - 1} {
		u := &Unit{}
		u.Add(strings.Repeat("S", n), "K", "v")
		out, err := u.Marshal()
		if n+2 > MaxLineLen {
			if err == nil || !strings.Contains(err.Error(), "header") {
				t.Errorf("%d-byte section name: Marshal error %v, want one about the header line", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d-byte section name: %v", n, err)
		}
		if _, err := Parse(bytes.NewReader(out)); err != nil {
			t.Errorf("%d-byte section name: Parse refuses what Marshal wrote: %v", n, err)
		}
	}
}
