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

const lintUsage = "usage: udkit lint [--strict] [--ignore RULE]... FILE..."

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
	if _, _, err := udkit.Lint(nil, ignore...); err != nil {
		fmt.Fprintf(stderr, "udkit lint: --ignore: %v\n", err)
		return exitUsage
	}
	code := exitOK
	for _, name := range files {
		data, err := readInput(name, stdin, userdata.DefaultMaxInput)
		if err != nil {
			fmt.Fprintf(stderr, "udkit lint: %v\n", err)
			code = exitUsage
			continue
		}
		_, diags, err := udkit.Lint(data, ignore...)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			code = exitUsage
			continue
		}
		for _, d := range diags {
			fmt.Fprintln(stdout, formatFinding(name, d))
			if (d.Severity == udkit.Error || *strict && d.Severity == udkit.Warning) && code == exitOK {
				code = exitFail
			}
		}
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
