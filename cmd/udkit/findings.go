package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
)

// findingsSchema is the version of the JSON output of lint and validate
// (see findingsFormatDoc); fields are only ever added to it.
const findingsSchema = 1

// findingsReport is the --format json output of lint and validate.
type findingsReport struct {
	Schema   int          `json:"schema"`
	Files    []fileReport `json:"files"`
	Errors   int          `json:"errors"`
	Warnings int          `json:"warnings"`
	Infos    int          `json:"infos"`
}

// fileReport is one input file of a findingsReport.
type fileReport struct {
	File     string    `json:"file"`
	Kind     string    `json:"kind,omitempty"`
	Checked  []string  `json:"checked,omitempty"`
	Error    string    `json:"error,omitempty"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Infos    int       `json:"infos"`
	Findings diag.List `json:"findings"`
}

// findingsFlags adds --format and --json to fs; format() then returns the
// chosen format, or an error for an unknown one.
type findingsFlags struct {
	format *string
	json   *bool
}

func addFindingsFlags(fs *flag.FlagSet) findingsFlags {
	return findingsFlags{
		format: fs.String("format", "text", "output `FORMAT`: text, json or github (GitHub Actions annotations)"),
		json:   fs.Bool("json", false, "same as --format json"),
	}
}

func (f findingsFlags) get() (string, error) {
	format := *f.format
	if *f.json {
		if format != "text" && format != "json" {
			return "", fmt.Errorf("--json and --format %s disagree; give one", format)
		}
		format = "json"
	}
	switch format {
	case "text", "json", "github":
		return format, nil
	}
	return "", fmt.Errorf("--format %s: use text, json or github", diag.Quote(format))
}

// findingsOut writes the findings of lint and validate in one of the
// formats: text (each finding as the command's text func gives it, at
// once), json (one object at the end, from close) or github (one workflow
// command per finding, at once).
type findingsOut struct {
	format string
	w      io.Writer
	text   func(file string, d diag.Diagnostic) string
	report findingsReport
}

func newFindingsOut(format string, w io.Writer, text func(string, diag.Diagnostic) string) *findingsOut {
	return &findingsOut{format: format, w: w, text: text, report: findingsReport{Schema: findingsSchema, Files: []fileReport{}}}
}

// structured reports whether the output is for machines (json, github):
// then the command's other text output goes nowhere.
func (o *findingsOut) structured() bool { return o.format != "text" }

// file starts the findings of the named input file.
func (o *findingsOut) file(name, kind string) {
	o.report.Files = append(o.report.Files, fileReport{File: name, Kind: kind, Findings: diag.List{}})
}

func (o *findingsOut) cur() *fileReport {
	if len(o.report.Files) == 0 {
		o.file("-", "")
	}
	return &o.report.Files[len(o.report.Files)-1]
}

// setKind sets the kind of the current file, once known.
func (o *findingsOut) setKind(kind string) { o.cur().Kind = kind }

// setChecked records which checkers ran on the current file.
func (o *findingsOut) setChecked(checked ...string) { o.cur().Checked = checked }

// fail records that the current file could not be read or decoded.
func (o *findingsOut) fail(err string) {
	f := o.cur()
	if f.Error == "" {
		f.Error = err
	}
	if o.format == "github" {
		lines := strings.Split(err, "\n")
		for i, l := range lines {
			lines[i] = diag.Escape(l)
		}
		io.WriteString(o.w, githubCommand("error", diag.Escape(f.File), 0, 0, "udkit", strings.Join(lines, "\n")))
	}
}

// add records (and in text and github formats prints) one finding of the
// current file.
func (o *findingsOut) add(d diag.Diagnostic) {
	f := o.cur()
	f.Findings = append(f.Findings, d)
	switch d.Severity {
	case diag.Error:
		f.Errors++
		o.report.Errors++
	case diag.Warning:
		f.Warnings++
		o.report.Warnings++
	default:
		f.Infos++
		o.report.Infos++
	}
	switch o.format {
	case "text":
		if o.text != nil {
			fmt.Fprintln(o.w, o.text(f.File, d))
		}
	case "github":
		io.WriteString(o.w, githubFinding(f.File, d))
	}
}

// close writes the JSON object, in json format.
func (o *findingsOut) close() error {
	if o.format != "json" {
		return nil
	}
	enc := json.NewEncoder(o.w)
	enc.SetEscapeHTML(false)
	return enc.Encode(o.report)
}

// githubFinding formats d as a GitHub Actions workflow command: error,
// warning or notice, with the file and line (when the line is in the file
// itself) and the rule as title; the message starts with d's place.
func githubFinding(file string, d diag.Diagnostic) string {
	level := "notice"
	switch d.Severity {
	case diag.Error:
		level = "error"
	case diag.Warning:
		level = "warning"
	}
	line, col := d.Line, d.Column
	place := d
	place.Line, place.Column = 0, 0
	msg := d.Message
	if loc := place.Location(); loc != "" {
		msg = loc + ": " + msg
	}
	if d.Versions != "" {
		msg += " (" + d.Versions + ")"
	}
	// Untrusted text (paths, values) is escaped as for a terminal first:
	// the message stays one line, and no escape sequence reaches the log.
	return githubCommand(level, diag.Escape(file), line, col, diag.Escape(d.Rule), diag.Escape(msg))
}

// githubCommand formats one workflow command,
// ::LEVEL file=F,line=L,col=C,title=T::MESSAGE, escaped as GitHub's
// runner unescapes it: in the message %, CR and LF; in property values
// also : and ,. A file "-" (standard input) is left out.
func githubCommand(level, file string, line, col int, title, msg string) string {
	var props []string
	if file != "" && file != "-" {
		props = append(props, "file="+githubProperty(file))
	}
	if line > 0 {
		props = append(props, "line="+strconv.Itoa(line))
		if col > 0 {
			props = append(props, "col="+strconv.Itoa(col))
		}
	}
	if title != "" {
		props = append(props, "title="+githubProperty(title))
	}
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(level)
	if len(props) > 0 {
		b.WriteString(" ")
		b.WriteString(strings.Join(props, ","))
	}
	b.WriteString("::")
	b.WriteString(githubData(msg))
	b.WriteString("\n")
	return b.String()
}

var (
	githubDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func githubData(s string) string     { return githubDataEscaper.Replace(s) }
func githubProperty(s string) string { return githubPropertyEscaper.Replace(s) }

// ruleCloudInitSchema is the rule of a finding that is one line of
// `cloud-init schema`'s complaint about a cloud-config (validate).
const ruleCloudInitSchema = "cloud-init-schema"

// exit writes the JSON object (json format) and returns code, or
// exitTrouble when standard output cannot be written.
func (o *findingsOut) exit(code int, stderr io.Writer) int {
	if err := o.close(); err != nil {
		fmt.Fprintf(stderr, "udkit: writing standard output: %v\n", err)
		return exitTrouble
	}
	return code
}

// inPart places a finding about a cloud-config in its part of user data:
// part and label set, and its line dropped unless the cloud-config is
// the file itself (a line in the part is not a line in the file).
func inPart(d diag.Diagnostic, part int, label string, file bool) diag.Diagnostic {
	if part > 0 {
		d.Part, d.PartLabel = part, label
	}
	if !file {
		d.Line, d.Column = 0, 0
	}
	return d
}

// parseFinding is the finding of a cloud-config that does not parse (or
// otherwise fails as a whole).
func parseFinding(err error) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Rule: cloudconfig.RuleParse, Message: errText(err)}
	var pe *cloudconfig.ParseError
	if errors.As(err, &pe) {
		d.Line, d.Column, d.Message = pe.Line, pe.Column, pe.Message
	}
	return d
}
