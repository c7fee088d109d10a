package udkit_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
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

// docFiles are the README and the docs/ pages it links: every fenced
// snippet of them is checked below.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("no docs/*.md pages")
	}
	return append([]string{"README.md"}, pages...)
}

// codeBlocks returns the fenced blocks in the language lang of the file.
func codeBlocks(t *testing.T, file, lang string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
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

// allCodeBlocks returns the fenced blocks in the language lang of every
// documentation file, with the file each comes from.
func allCodeBlocks(t *testing.T, lang string) (blocks, files []string) {
	t.Helper()
	for _, f := range docFiles(t) {
		for _, b := range codeBlocks(t, f, lang) {
			blocks = append(blocks, b)
			files = append(files, f)
		}
	}
	return blocks, files
}

// The spec files of the README and the docs/ pages render without lint
// errors into user data that cloud-init's parser reads, and the full
// example in docs/spec.md is the example's spec.yaml, byte for byte.
func TestREADMESpecs(t *testing.T) {
	example, err := os.ReadFile("examples/managed-server/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := os.DirFS("examples/managed-server")
	var docs [][]byte
	found := false
	blocks, files := allCodeBlocks(t, "yaml")
	n := 0
	for i, b := range blocks {
		if !isSpec(b) {
			continue
		}
		n++
		if b == string(example) && files[i] == specPage {
			found = true
		}
		sf, err := udkit.ParseSpecFile([]byte(b), dir)
		if err != nil {
			t.Errorf("%s: spec does not parse: %v\n%s", files[i], err, b)
			continue
		}
		o := sf.Output
		o.Base64 = false // cloud-init reads what EC2 decoded
		data, _, err := udkit.Render(sf.Spec, o)
		if err != nil {
			t.Errorf("%s: spec does not render: %v\n%s", files[i], err, b)
			continue
		}
		_, diags, err := udkit.Lint(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diags {
			if d.Severity == udkit.Error {
				t.Errorf("%s: spec: lint: %s", files[i], d)
			}
		}
		docs = append(docs, data)
	}
	if !found {
		t.Error(specPage + " does not hold examples/managed-server/spec.yaml verbatim in a ```yaml block; copy it in")
	}
	if len(codeBlocks(t, "README.md", "yaml")) == 0 || n < 2 {
		t.Errorf("want a spec in README.md and the full example in %s; found %d specs", specPage, n)
	}
	for i, r := range realtools.CloudInitParse(t, docs...) {
		if r.Err != "" || len(r.Parts) == 0 {
			t.Errorf("spec %d: cloud-init reads %d parts (%s)", i+1, len(r.Parts), r.Err)
		}
	}
}

// specPage holds the spec format and the full example.
const specPage = "docs/spec.md"

func isSpec(block string) bool {
	for _, l := range strings.Split(block, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		return strings.HasPrefix(l, "name:")
	}
	return false
}

// The Go snippets of the README and the docs/ pages that use udkit are
// valid Go statements or declarations (they use names defined around
// them, so they are only parsed, not compiled).
func TestREADMEGoSyntax(t *testing.T) {
	n := 0
	blocks, files := allCodeBlocks(t, "go")
	for i, b := range blocks {
		if !strings.Contains(b, "udkit.") {
			continue
		}
		n++
		// A snippet is either statements or declarations.
		stmts := "package p\nfunc _() {\n" + b + "\n}\n"
		decls := "package p\n" + b
		if _, err := parser.ParseFile(token.NewFileSet(), files[i], stmts, 0); err != nil {
			if _, err2 := parser.ParseFile(token.NewFileSet(), files[i], decls, 0); err2 != nil {
				t.Errorf("%s: Go snippet does not parse as statements (%v) nor as declarations (%v):\n%s", files[i], err, err2, b)
			}
		}
	}
	if n == 0 {
		t.Error("no Go snippet using udkit in README.md or docs/")
	}
}

// rulesPage holds the generated table of every lint rule.
const rulesPage = "docs/lint.md"

// rulesTable renders the table of every rule, grouped by the
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
		{"unit timers (LintTimer on every *.timer unit written by write_files, and on a timer unit given alone)", unit.TimerRules()},
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n\n| rule | severity | fires when |\n|---|---|---|\n", g.title)
		for _, r := range g.rules {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.ID, r.Severity, strings.ReplaceAll(r.Doc, "|", `\|`))
		}
	}
	return b.String()
}

// The rule table of docs/lint.md is udkit.Rules(), every rule once;
// -update rewrites it.
func TestREADMERules(t *testing.T) {
	data, err := os.ReadFile(rulesPage)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->\n"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal(rulesPage + " lacks the rules markers")
	}
	want := rulesTable() + "\n"
	if got := s[i+len(begin) : j]; got != want {
		if golden.Updating() {
			if err := os.WriteFile(rulesPage, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the rule table of %s is out of date: go test . -run TestREADMERules -update", rulesPage)
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

// The README's sample of the output is what the Quick-start render
// command prints: its lines are lines of the example's golden user data
// (examples/managed-server's TestGolden keeps equal to that output), in order.
func TestREADMESample(t *testing.T) {
	blocks := codeBlocks(t, "README.md", "text")
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```text blocks, want the one output sample", len(blocks))
	}
	golden, err := os.ReadFile("examples/managed-server/testdata/user-data.golden")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(golden), "\r\n", "\n"), "\n")
	sample := strings.Split(strings.TrimSuffix(blocks[0], "\n"), "\n")
	if len(sample) < 10 {
		t.Errorf("the README's output sample has %d lines; show at least 10", len(sample))
	}
	// The sample is a contiguous run of the golden file's lines.
	for start := range lines {
		if start+len(sample) <= len(lines) && slices.Equal(lines[start:start+len(sample)], sample) {
			return
		}
	}
	t.Errorf("the README's output sample is not a run of lines of examples/managed-server/testdata/user-data.golden; copy it from\n  go run ./cmd/udkit render examples/managed-server/spec.yaml")
}
