package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

const validateUsage = "usage: udkit validate [--cloud-init auto|always|never] [--format text|json|github] [--json] FILE"

func init() {
	register("validate", command{
		summary: "validate cloud-config (a file or the parts of user data), with cloud-init's schema when installed",
		run:     runValidate,
	})
}

// schemaBad is a cloud-config the schema must reject (runcmd must be a
// list): without python3-jsonschema, `cloud-init schema` accepts anything,
// and a validator that accepts this is not validating.
const schemaBad = "#cloud-config\nruncmd: 5\n"

func runValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("validate", validateUsage, stderr)
	mode := fs.String("cloud-init", "auto", "run cloud-init's schema check too, `MODE`: auto (when installed), always (exit 2 without it) or never")
	ff := addFindingsFlags(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) != 1 || (*mode != "auto" && *mode != "always" && *mode != "never") {
		fmt.Fprintln(stderr, validateUsage)
		return exitUsage
	}
	format, err := ff.get()
	if err != nil {
		fmt.Fprintf(stderr, "udkit validate: %v\n%s\n", err, validateUsage)
		return exitUsage
	}
	out := newFindingsOut(format, stdout, nil)
	if out.structured() {
		// out prints the findings; the text lines below go nowhere.
		stdout = io.Discard
	}
	name := files[0]
	out.file(name, "")
	data, err := readInput(name, stdin, userdata.DefaultMaxInput)
	if err != nil {
		fmt.Fprintf(stderr, "udkit validate: %v\n", err)
		out.fail(err.Error())
		return out.exit(exitUsage, stderr)
	}

	// The cloud-configs to check: the file itself, or the cloud-config
	// parts of user data.
	type doc struct {
		label     string
		body      []byte
		file      bool // the file itself, whose lines findings can name
		part      int  // the part of user data, 1-based; 0 for the file
		partLabel string
	}
	var docs []doc
	if udkit.DetectKind(data) == udkit.KindCloudConfig {
		docs = append(docs, doc{name, data, true, 0, ""})
	} else {
		d, err := userdata.Decode(data, userdata.Limits{})
		if err != nil {
			fmt.Fprintf(stderr, "udkit validate: %s: %s\n", name, errText(err))
			out.fail(errText(err))
			return out.exit(exitUsage, stderr)
		}
		for i, p := range d.Parts {
			if p.ContentType == userdata.ContentCloudConfig {
				docs = append(docs, doc{fmt.Sprintf("%s: part %d", name, i+1), p.Body, false, i + 1, p.Label()})
			}
		}
		if len(docs) == 0 {
			fmt.Fprintf(stderr, "%s: no cloud-config part to validate\n", name)
			out.fail("no cloud-config part to validate")
			return out.exit(exitFail, stderr)
		}
	}

	var ci string
	if *mode != "never" {
		ci, err = exec.LookPath("cloud-init")
		if err != nil {
			if *mode == "always" {
				fmt.Fprintf(stderr, "udkit validate: --cloud-init always: cloud-init is not installed (%v); install cloud-init and python3-jsonschema\n", err)
				out.fail("--cloud-init always: cloud-init is not installed")
				return out.exit(exitUsage, stderr)
			}
			ci = ""
			fmt.Fprintln(stderr, "udkit validate: cloud-init not installed: checked with udkit's rules only")
		} else if v, err := cloudInitSchema(ci, []byte(schemaBad)); err != nil {
			fmt.Fprintf(stderr, "udkit validate: %v\n", err)
			out.fail(err.Error())
			return out.exit(exitUsage, stderr)
		} else if v.valid {
			fmt.Fprintln(stderr, "udkit validate: `cloud-init schema` accepts a known-bad cloud-config, so it is not validating; install python3-jsonschema")
			out.fail("`cloud-init schema` accepts a known-bad cloud-config; install python3-jsonschema")
			return out.exit(exitUsage, stderr)
		}
	}
	if ci != "" {
		out.setChecked("udkit", "cloud-init schema")
	} else {
		out.setChecked("udkit")
	}

	code := exitOK
	for _, d := range docs {
		bad := false
		c, err := cloudconfig.Parse(d.body)
		if err != nil {
			label := d.label
			var pe *cloudconfig.ParseError
			if errors.As(err, &pe) && d.file && pe.Line > 0 {
				label = fmt.Sprintf("%s:%d", d.label, pe.Line)
			}
			if pe != nil {
				fmt.Fprintf(stdout, "%s: error: [%s] %s\n", label, cloudconfig.RuleParse, pe.Message)
			} else {
				fmt.Fprintf(stdout, "%s: error: %v\n", label, err)
			}
			out.add(inPart(parseFinding(err), d.part, d.partLabel, d.file))
			bad = true
		} else if err := c.Validate(); err != nil {
			var ve *cloudconfig.ValidationError
			if errors.As(err, &ve) {
				for _, dg := range ve.Diagnostics {
					label := d.label
					if d.file && dg.Line > 0 {
						// Parse kept the positions: no second parse.
						label = fmt.Sprintf("%s:%d", d.label, dg.Line)
					}
					fmt.Fprintf(stdout, "%s: %s: [%s] %s: %s\n", label, dg.Severity, dg.Rule, dg.Path, dg.Message)
					out.add(inPart(dg, d.part, d.partLabel, d.file))
					if dg.Severity == diag.Error {
						bad = true
					}
				}
			} else {
				fmt.Fprintf(stdout, "%s: error: %v\n", d.label, err)
				out.add(inPart(parseFinding(err), d.part, d.partLabel, false))
				bad = true
			}
		}
		if ci != "" {
			v, err := cloudInitSchema(ci, d.body)
			if err != nil {
				fmt.Fprintf(stderr, "udkit validate: %v\n", err)
				out.fail(err.Error())
				return out.exit(exitUsage, stderr)
			}
			if !v.valid {
				bad = true
				for _, l := range strings.Split(strings.TrimSpace(v.output), "\n") {
					fmt.Fprintf(stdout, "%s: cloud-init schema: %s\n", d.label, strings.TrimSpace(l))
					if l := strings.TrimSpace(l); !strings.HasSuffix(l, ":") { // not a bare heading
						out.add(inPart(diag.Diagnostic{Severity: diag.Error, Rule: ruleCloudInitSchema, Message: l}, d.part, d.partLabel, d.file))
					}
				}
			}
		}
		checked := "udkit's rules"
		if ci != "" {
			checked += " and cloud-init schema"
		}
		if bad {
			code = exitFail
			fmt.Fprintf(stdout, "%s: invalid cloud-config (%s)\n", d.label, checked)
		} else {
			fmt.Fprintf(stdout, "%s: valid cloud-config (%s)\n", d.label, checked)
		}
	}
	return out.exit(code, stderr)
}

type schemaVerdict struct {
	valid  bool
	output string
}

// cloudInitSchema runs `cloud-init schema --config-file` on data: exit 0
// is valid, 1 invalid, anything else a failure to run.
func cloudInitSchema(ci string, data []byte) (schemaVerdict, error) {
	dir, err := os.MkdirTemp("", "udkit-validate")
	if err != nil {
		return schemaVerdict{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cloud-config")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return schemaVerdict{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ci, "schema", "--config-file", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	text := strings.ReplaceAll(out.String(), path, "cloud-config")
	var exit *exec.ExitError
	switch {
	case err == nil:
		return schemaVerdict{valid: true, output: text}, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return schemaVerdict{valid: false, output: text}, nil
	}
	return schemaVerdict{}, fmt.Errorf("cloud-init schema --config-file: %v\n%s", err, text)
}
