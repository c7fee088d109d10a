package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

const lintUsage = "usage: udkit lint [--strict] [--ignore RULE]... [--format text|json|github] [--json] FILE..."

func init() {
	register("lint", command{
		summary: "lint units, cloud-configs or whole user data (FILE - reads stdin)",
		run:     runLint,
	})
}

// runLint prints one line per finding, `FILE:LINE: severity: [RULE]
// place: message`, and exits 1 when a file has errors (or warnings, with
// --strict), 2 when a file cannot be read or decoded.
func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("lint", lintUsage, stderr)
	strict := fs.Bool("strict", false, "count warnings as errors")
	var ignore ruleList
	fs.Var(&ignore, "ignore", "leave out the findings of `RULE` (repeatable)")
	ff := addFindingsFlags(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, lintUsage)
		return exitUsage
	}
	format, err := ff.get()
	if err != nil {
		fmt.Fprintf(stderr, "udkit lint: %v\n%s\n", err, lintUsage)
		return exitUsage
	}
	if _, _, err := udkit.Lint(nil, ignore...); err != nil {
		fmt.Fprintf(stderr, "udkit lint: --ignore: %s\n", strings.TrimPrefix(errText(err), "ignore: "))
		return exitUsage
	}
	out := newFindingsOut(format, stdout, formatFinding)
	code := exitOK
	for _, name := range files {
		out.file(name, "")
		data, err := readInput(name, stdin, userdata.DefaultMaxInput)
		if err != nil {
			fmt.Fprintf(stderr, "udkit lint: %v\n", err)
			out.fail(err.Error())
			code = exitUsage
			continue
		}
		kind, diags, err := udkit.Lint(data, ignore...)
		if err != nil {
			fmt.Fprintf(stderr, "udkit lint: %s: %s\n", name, errText(err))
			out.fail(errText(err))
			code = exitUsage
			continue
		}
		out.setKind(kind.String())
		for _, d := range diags {
			out.add(d)
			if (d.Severity == udkit.Error || *strict && d.Severity == udkit.Warning) && code == exitOK {
				code = exitFail
			}
		}
	}
	if err := out.close(); err != nil {
		fmt.Fprintf(stderr, "udkit lint: %v\n", err)
		return exitUsage
	}
	return code
}

// formatFinding writes d as `FILE:LINE: severity: [RULE] place: message`,
// place being where d is inside the file: part, YAML path, unit line.
func formatFinding(name string, d udkit.Diagnostic) string {
	loc := name
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d", name, d.Line)
	}
	d.Line, d.Column = 0, 0 // in loc
	place := d.Location()
	if place != "" {
		place += ": "
	}
	return fmt.Sprintf("%s: %s: [%s] %s%s", loc, d.Severity, d.Rule, place, d.Message)
}

// ruleList is a repeatable flag of rule ids.
type ruleList []string

func (l *ruleList) String() string { return strings.Join(*l, ",") }

func (l *ruleList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
