package unit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addGoldenSeeds adds every golden unit and the lint cases to f's corpus;
// testdata/fuzz/<FuzzName> holds further seeds and any crasher found.
func addGoldenSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.service")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, c := range lintCases {
		f.Add([]byte(c.bad))
	}
}

// FuzzParse: Parse never panics, and whatever it accepts renders and
// parses back to the same unit, renders to the same bytes again, and reads
// the same in go-systemd's deserializer.
func FuzzParse(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := Parse(bytes.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "unit line ") && !strings.HasPrefix(err.Error(), "unit: ") {
				t.Errorf("error without place: %v", err)
			}
			return
		}
		out, err := u.Marshal()
		if err != nil {
			t.Fatalf("Parse accepted what Marshal refuses: %v\ninput %q", err, in)
		}
		u2, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Parse(Marshal(u)): %v\nrendered %q", err, out)
		}
		if diff := cmp.Diff(u, u2, ignoreLines); diff != "" {
			t.Fatalf("parse→render→parse changed the unit (-first +second):\n%s\ninput %q\nrendered %q", diff, in, out)
		}
		out2, err := u2.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("render is not stable: %v\n%q\n%q", err, out, out2)
		}
		if len(u.Sections) > 0 && !goSystemdMisreads(u) {
			checkDeserialize(t, out) // go-systemd reads the rendered unit the same way
		}
		_ = Lint(u) // must not panic either
	})
}

// FuzzExec: Exec never panics; what it writes is a valid option value, and
// ParseExec reads back the same argv.
func FuzzExec(f *testing.F) {
	f.Add("/usr/bin/curl", "--max-time", "a b", `{"x": "$(date +%s)"}`)
	f.Add("/bin/echo", ";", "", "tab\there\nnewline")
	f.Add("/opt/my app/run", `\`, `"'`, "%%$$")
	f.Fuzz(func(t *testing.T, prog, a, b, c string) {
		argv := []string{prog, a, b, c}
		v, err := Exec(argv)
		if err != nil {
			return
		}
		if err := CheckExecPath(prog); err != nil {
			t.Fatalf("Exec(%q) wrote a program path systemd refuses: %v", argv, err)
		}
		if err := checkValue(v); err != nil {
			t.Fatalf("Exec(%q) = %q, not a valid value: %v", argv, v, err)
		}
		cmd, err := ParseExec(v)
		if err != nil {
			t.Fatalf("ParseExec(Exec(%q) = %q): %v", argv, v, err)
		}
		if got := append([]string{cmd.Path}, cmd.Args...); !cmp.Equal(argv, got) || cmd.Prefix != "" {
			t.Fatalf("ParseExec(Exec(%q)) = %q prefix %q, via %q", argv, got, cmd.Prefix, v)
		}
		u := &Unit{}
		u.Add("Service", "ExecStop", v)
		out, err := u.Marshal()
		if len("ExecStop=")+len(v) > MaxLineLen {
			if err == nil {
				t.Fatalf("Marshal wrote a %d-byte line", len("ExecStop=")+len(v))
			}
			return
		}
		if err != nil {
			t.Fatalf("Marshal of Exec output: %v", err)
		}
		u2, err := Parse(bytes.NewReader(out))
		if err != nil || len(u2.Values("Service", "ExecStop")) != 1 || u2.Values("Service", "ExecStop")[0] != v {
			t.Fatalf("unit with ExecStop=%q did not parse back: %v", v, err)
		}
		checkDeserialize(t, out)
	})
}

// FuzzParseExec: ParseExec never panics.
func FuzzParseExec(f *testing.F) {
	f.Add(`-@/bin/x "a b" 'c' \x41\101\u00e9 %% $$`)
	f.Add(`/bin/x \`)
	f.Fuzz(func(t *testing.T, v string) {
		_, _ = ParseExec(v)
	})
}

// FuzzEscapePath: EscapePath never panics and gives a valid unit name
// prefix.
func FuzzEscapePath(f *testing.F) {
	for _, c := range escapeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, p string) {
		e, err := EscapePath(p)
		if err != nil {
			return
		}
		if len(e) <= maxNameLen-len(".mount") {
			if err := ValidName(e + ".mount"); err != nil {
				t.Fatalf("EscapePath(%q) = %q, not a unit name: %v", p, e, err)
			}
		}
	})
}

// goSystemdMisreads reports units go-systemd's deserializer reads
// differently from systemd: it takes any value ending in a backslash, even
// an escaped one (`a\\`), as continued on the next line.
func goSystemdMisreads(u *Unit) bool {
	for _, s := range u.Sections {
		for _, o := range s.Options {
			if strings.HasSuffix(o.Value, `\`) {
				return true
			}
		}
	}
	return false
}

// FuzzMarshal: a unit built in code either fails to render or renders to
// text that parses back to exactly that unit: no value, key or section name
// can inject lines.
func FuzzMarshal(f *testing.F) {
	f.Add("Service", "ExecStop", "/bin/x\n[Install]\nWantedBy=evil.target")
	f.Add("Unit", "Description", `a\\`)
	f.Add("S]\n[T", "#K", " v ")
	f.Add("Service", "K", "a\rb\x00")
	f.Fuzz(func(t *testing.T, section, key, value string) {
		u := &Unit{}
		u.Add(section, key, value)
		u.Add("Install", "WantedBy", "multi-user.target")
		out, err := u.Marshal()
		if err != nil {
			return
		}
		u2, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Marshal wrote what Parse refuses: %v\n%q", err, out)
		}
		if diff := cmp.Diff(u, u2, ignoreLines); diff != "" {
			t.Fatalf("render→parse changed the unit (-built +parsed):\n%s\n%q", diff, out)
		}
	})
}
