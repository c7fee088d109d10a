package unit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// execCases are checked against the expected strings in TestExec and
// against what the real systemd makes of them in TestExecSystemd.
var execCases = []struct {
	name string
	argv []string
	opts []ExecOption
	want string
}{
	{"plain", []string{"/usr/bin/true"}, nil, "/usr/bin/true"},
	{"arguments", []string{"/usr/bin/curl", "--max-time", "10", "https://192.0.2.1/x"}, nil, "/usr/bin/curl --max-time 10 https://192.0.2.1/x"},
	{"percent is doubled", []string{"/bin/date", "+%Y-%m-%d"}, nil, "/bin/date +%%Y-%%m-%%d"},
	{"percent in program path", []string{"/opt/100%/run"}, nil, "/opt/100%%/run"},
	{"dollar is doubled", []string{"/bin/echo", "$HOME", "${X}"}, nil, "/bin/echo $$HOME $${X}"},
	{"dollar kept with ExpandVariables", []string{"/bin/echo", "$HOME", "${X}", "%"}, []ExecOption{ExpandVariables()}, "/bin/echo $HOME ${X} %%"},
	{"space quotes the word", []string{"/bin/echo", "a b"}, nil, `/bin/echo "a b"`},
	{"empty word", []string{"/bin/echo", ""}, nil, `/bin/echo ""`},
	{"double quote", []string{"/bin/echo", `say "hi"`}, nil, `/bin/echo "say \"hi\""`},
	{"single quote", []string{"/bin/echo", "it's"}, nil, `/bin/echo "it's"`},
	{"backslash", []string{"/bin/echo", `a\b`}, nil, `/bin/echo a\\b`},
	{"trailing backslash is quoted", []string{"/bin/echo", `a\`}, nil, `/bin/echo "a\\"`},
	{"backslash in quotes", []string{"/bin/echo", `a \b`}, nil, `/bin/echo "a \\b"`},
	{"newline becomes an escape", []string{"/bin/echo", "a\nb"}, nil, `/bin/echo a\nb`},
	{"tab and control", []string{"/bin/echo", "a\tb\x01\x7f"}, nil, `/bin/echo a\tb\x01\x7f`},
	{"lone semicolon quoted", []string{"/bin/echo", ";"}, nil, `/bin/echo ";"`},
	{"escaped semicolon stays two characters", []string{"/bin/echo", `\;`}, nil, `/bin/echo \\;`},
	{"lone dollar and percent", []string{"/bin/echo", "$", "%"}, nil, `/bin/echo $$ %%`},
	{"specifier-like word", []string{"/bin/echo", "%n", "%%"}, nil, `/bin/echo %%n %%%%`},
	{"semicolon inside a word", []string{"/bin/echo", "a;b"}, nil, `/bin/echo a;b`},
	{"shell operators stay words", []string{"/bin/echo", ">", "|", "&&"}, nil, `/bin/echo > | &&`},
	{"unicode kept", []string{"/bin/echo", "héllo"}, nil, `/bin/echo héllo`},
	{"ignore failure", []string{"/bin/x"}, []ExecOption{IgnoreFailure()}, "-/bin/x"},
	{"privileged", []string{"/bin/x", "a"}, []ExecOption{Privileged()}, "+/bin/x a"},
	{"argv0", []string{"/bin/busybox", "-c"}, []ExecOption{Argv0("sh")}, "@/bin/busybox sh -c"},
	{"all prefixes", []string{"/bin/x"}, []ExecOption{Privileged(), Argv0("y"), IgnoreFailure()}, "-@+/bin/x y"},
	{"program with space", []string{"/opt/my app/run"}, []ExecOption{IgnoreFailure()}, `"-/opt/my app/run"`},
}

func TestExec(t *testing.T) {
	for _, tt := range execCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Exec(tt.argv, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Exec(%q) = %s, want %s", tt.argv, got, tt.want)
			}
			c, err := ParseExec(got)
			if err != nil {
				t.Fatalf("ParseExec(%s): %v", got, err)
			}
			args := c.Args
			if c.HasArgv0 {
				args = args[1:]
			}
			expand := false
			for _, o := range tt.opts {
				var ec execConfig
				o.apply(&ec)
				expand = expand || ec.expand
			}
			if !expand {
				if diff := cmp.Diff(tt.argv, append([]string{c.Path}, args...), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("ParseExec(Exec(argv)) mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"empty", nil, "unit: exec: empty command"},
		{"empty program", []string{""}, "empty program path"},
		{"relative", []string{"curl", "x"}, `program "curl" is not an absolute path`},
		{"dot relative", []string{"./run"}, "not an absolute path"},
		{"not normalized", []string{"/usr/bin/../bin/x"}, `write it as "/usr/bin/x"`},
		{"trailing slash", []string{"/usr/bin/"}, "not normalized"},
		{"root", []string{"/"}, "not normalized"},
		{"dollar in program", []string{"/opt/$APP/run"}, "contains '$'"},
		{"nul in argument", []string{"/bin/x", "a", "b\x00"}, "argument 2: \"b\\x00\" contains a NUL byte"},
		{"invalid utf8", []string{"/bin/x", "\xff"}, "argument 1: \"\\xff\" is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Exec(tt.argv)
			if err == nil {
				t.Fatalf("Exec(%q) = %s, want an error", tt.argv, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Exec error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseExec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
	}{
		{"plain", "/bin/x a b", Command{Path: "/bin/x", Args: []string{"a", "b"}}},
		{"prefixes", "-@/bin/x y z", Command{IgnoreFailure: true, HasArgv0: true, Prefix: "-@", Path: "/bin/x", Args: []string{"y", "z"}}},
		{"other prefixes kept", "!!:/bin/x", Command{Prefix: "!!:", Path: "/bin/x"}},
		{"single quotes", `/bin/x 'a "b"' c`, Command{Path: "/bin/x", Args: []string{`a "b"`, "c"}}},
		{"escapes", `/bin/x \s\x41\101\u00e9 \;`, Command{Path: "/bin/x", Args: []string{" AAé", ";"}}},
		{"specifier left as written", "/bin/x %n %%n $$X $Y", Command{Path: "/bin/x", Args: []string{"%n", "%n", "$X", "$Y"}}},
		{"many blanks", "  /bin/x \t a  ", Command{Path: "/bin/x", Args: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExec(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseExec(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseExecErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty command"},
		{"only prefix", "-", "no program after the prefixes"},
		{"unterminated quote", `/bin/x "a`, `unterminated " quote`},
		{"trailing backslash", `/bin/x a\`, "trailing backslash"},
		{"bad hex", `/bin/x \xZZ`, `bad escape`},
		{"nul escape", `/bin/x \x00`, `\x00 is not allowed`},
		{"unknown escape", `/bin/x \q`, `unknown escape \q`},
		{"two commands", "/bin/a ; /bin/b", "a lone ';' separates several commands"},
		{"argv0 missing", "@/bin/a", "'@' prefix without an argv[0] word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExec(tt.in)
			if err == nil {
				t.Fatalf("ParseExec(%s) = %+v, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseExec error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
