package udkit_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// codeBlocks returns the fenced blocks of the README in the language lang.
func codeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}

// The README's spec files render without lint errors into user data that
// cloud-init's parser reads, and the full example in the README is the
// example's spec.yaml, byte for byte.
func TestREADMESpecs(t *testing.T) {
	example, err := os.ReadFile("examples/managed-server/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := os.DirFS("examples/managed-server")
	var docs [][]byte
	found := false
	for _, b := range codeBlocks(t, "yaml") {
		if !isSpec(b) {
			continue
		}
		if b == string(example) {
			found = true
		}
		sf, err := udkit.ParseSpecFile([]byte(b), dir)
		if err != nil {
			t.Errorf("README spec does not parse: %v\n%s", err, b)
			continue
		}
		o := sf.Output
		o.Base64 = false // cloud-init reads what EC2 decoded
		data, _, err := udkit.Render(sf.Spec, o)
		if err != nil {
			t.Errorf("README spec does not render: %v\n%s", err, b)
			continue
		}
		_, diags, err := udkit.Lint(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diags {
			if d.Severity == udkit.Error {
				t.Errorf("README spec: lint: %s", d)
			}
		}
		docs = append(docs, data)
	}
	if !found {
		t.Error("README.md does not hold examples/managed-server/spec.yaml verbatim in a ```yaml block; copy it in")
	}
	for i, r := range realtools.CloudInitParse(t, docs...) {
		if r.Err != "" || len(r.Parts) == 0 {
			t.Errorf("README spec %d: cloud-init reads %d parts (%s)", i+1, len(r.Parts), r.Err)
		}
	}
}

func isSpec(block string) bool {
	for _, l := range strings.Split(block, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return strings.HasPrefix(l, "name:")
	}
	return false
}

// The Go snippets of the README that use udkit are valid Go statements or
// declarations (they use names defined around them, so they are only
// parsed, not compiled).
func TestREADMEGoSyntax(t *testing.T) {
	n := 0
	for _, b := range codeBlocks(t, "go") {
		if !strings.Contains(b, "udkit.") {
			continue
		}
		n++
		// A snippet is either statements or declarations.
		stmts := "package p\nfunc _() {\n" + b + "\n}\n"
		decls := "package p\n" + b
		if _, err := parser.ParseFile(token.NewFileSet(), "README.md", stmts, 0); err != nil {
			if _, err2 := parser.ParseFile(token.NewFileSet(), "README.md", decls, 0); err2 != nil {
				t.Errorf("README Go snippet does not parse as statements (%v) nor as declarations (%v):\n%s", err, err2, b)
			}
		}
	}
	if n == 0 {
		t.Error("no Go snippet using udkit in README.md")
	}
}

// rulesTable renders the README's table of every rule, grouped by the
// package that makes the findings.
func rulesTable() string {
	var b strings.Builder
	groups := []struct {
		title string
		rules []diag.Rule
	}{
		{"udkit (the composition: specs, parts)", udkit.OwnRules()},
		{"userdata (Lint on the parts, LintDocument on the document as given)", userdata.Rules()},
		{"cloudconfig (parse, Validate, Lint)", cloudconfig.Rules()},
		{"unit (Parse, StopHook, the stop-hook Lint)", unit.Rules()},
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n\n| rule | severity | fires when |\n|---|---|---|\n", g.title)
		for _, r := range g.rules {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.ID, r.Severity, strings.ReplaceAll(r.Doc, "|", `\|`))
		}
	}
	return b.String()
}

// The README's rule table is udkit.Rules(), every rule once; -update
// rewrites it.
func TestREADMERules(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->\n"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the rules markers")
	}
	want := rulesTable() + "\n"
	if got := s[i+len(begin) : j]; got != want {
		if golden.Updating() {
			if err := os.WriteFile("README.md", []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the README's rule table is out of date: go test . -run TestREADMERules -update")
	}
	n := 0
	seen := map[string]bool{}
	for _, r := range udkit.Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		n++
	}
	if rows := strings.Count(want, "\n| `"); rows != n {
		t.Errorf("table has %d rows, udkit.Rules() %d rules (an id shared by two packages?)", rows, n)
	}
}
