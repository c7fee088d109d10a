package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

const lintUsage = "usage: udkit lint [--strict] FILE..."

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
	code := exitOK
	for _, name := range files {
		data, err := readInput(name, stdin, userdata.DefaultMaxInput)
		if err != nil {
			printLine(stderr, "udkit lint: %v", err)
			code = exitUsage
			continue
		}
		_, diags, err := udkit.Lint(data)
		if err != nil {
			printLine(stderr, "%s: %v", name, err)
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
// escaped (see esc): one line, whatever the document holds.
func formatFinding(name string, d udkit.Diagnostic) string {
	loc := name
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d", name, d.Line)
	}
	place := ""
	if d.Part > 0 {
		place = fmt.Sprintf("part %d (%s): ", d.Part, d.PartName)
	}
	if d.Where != "" {
		place += d.Where + ": "
	}
	return esc(fmt.Sprintf("%s: %s: [%s] %s%s", loc, d.Severity, d.Rule, place, d.Message))
}
