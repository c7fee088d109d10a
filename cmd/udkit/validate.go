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
	"github.com/udkit/udkit/userdata"
)

const validateUsage = "usage: udkit validate [--cloud-init auto|always|never] FILE"

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
	mode := fs.String("cloud-init", "auto", "run `cloud-init schema` too: auto (when installed), always (fail without it) or never")
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
	name := files[0]
	data, err := readInput(name, stdin, userdata.DefaultMaxInput)
	if err != nil {
		printLine(stderr, "udkit validate: %v", err)
		return exitUsage
	}

	// The cloud-configs to check: the file itself, or the cloud-config
	// parts of user data.
	type doc struct {
		label string
		body  []byte
		file  bool // the file itself, whose lines findings can name
	}
	var docs []doc
	// One budget bounds the work on the whole file: decoding, and the
	// parsing and validation of every cloud-config part.
	b := udkit.NewBudget()
	within := cloudconfig.WithBudget(b)
	if udkit.DetectKind(data) == udkit.KindCloudConfig {
		docs = append(docs, doc{name, data, true})
	} else {
		d, err := userdata.Decode(data, userdata.Limits{Budget: b})
		if err != nil {
			printLine(stderr, "%s: %v", name, err)
			return exitUsage
		}
		for i, p := range d.Parts {
			if p.ContentType == userdata.ContentCloudConfig {
				docs = append(docs, doc{fmt.Sprintf("%s: part %d", name, i+1), p.Body, false})
			}
		}
		if len(docs) == 0 {
			printLine(stderr, "%s: no cloud-config part to validate", name)
			return exitFail
		}
	}

	var ci string
	if *mode != "never" {
		ci, err = exec.LookPath("cloud-init")
		if err != nil {
			if *mode == "always" {
				fmt.Fprintf(stderr, "udkit validate: --cloud-init always: cloud-init is not installed (%v); install cloud-init and python3-jsonschema\n", err)
				return exitUsage
			}
			ci = ""
			fmt.Fprintln(stderr, "udkit validate: cloud-init not installed: checked with udkit's rules only")
		} else if v, err := cloudInitSchema(ci, []byte(schemaBad)); err != nil {
			printLine(stderr, "udkit validate: %v", err)
			return exitUsage
		} else if v.valid {
			fmt.Fprintln(stderr, "udkit validate: `cloud-init schema` accepts a known-bad cloud-config, so it is not validating; install python3-jsonschema")
			return exitUsage
		}
	}

	code := exitOK
	for _, d := range docs {
		bad := false
		c, err := cloudconfig.Parse(d.body, within)
		if err != nil {
			printLine(stdout, "%s: error: %s", d.label, strings.TrimPrefix(err.Error(), "cloudconfig: "))
			bad = true
		} else if err := c.Validate(within); err != nil {
			var ve *cloudconfig.ValidationError
			if errors.As(err, &ve) {
				lines := map[string]int{}
				if d.file {
					lines = findingLines(d.body)
				}
				for _, dg := range ve.Diagnostics {
					label := d.label
					if l := lines[dg.Path+"\x00"+dg.Rule]; l > 0 {
						label = fmt.Sprintf("%s:%d", d.label, l)
					}
					printLine(stdout, "%s: %s: [%s] %s: %s", label, dg.Severity, dg.Rule, dg.Path, dg.Message)
					if dg.Severity == cloudconfig.Error {
						bad = true
					}
				}
			} else {
				printLine(stdout, "%s: error: %v", d.label, err)
				bad = true
			}
		}
		if ci != "" {
			v, err := cloudInitSchema(ci, d.body)
			if err != nil {
				printLine(stderr, "udkit validate: %v", err)
				return exitUsage
			}
			if !v.valid {
				bad = true
				for _, l := range strings.Split(strings.TrimSpace(v.output), "\n") {
					printLine(stdout, "%s: cloud-init schema: %s", d.label, strings.TrimSpace(l))
				}
			}
		}
		checked := "udkit's rules"
		if ci != "" {
			checked += " and cloud-init schema"
		}
		if bad {
			code = exitFail
			printLine(stdout, "%s: invalid cloud-config (%s)", d.label, checked)
		} else {
			printLine(stdout, "%s: valid cloud-config (%s)", d.label, checked)
		}
	}
	return code
}

// findingLines maps the YAML path and rule of each finding in a
// cloud-config document to its line (the line within the document, which
// for a part of user data is not a line of the file: only plain
// cloud-config files get lines).
func findingLines(body []byte) map[string]int {
	m := map[string]int{}
	if udkit.DetectKind(body) != udkit.KindCloudConfig {
		return m
	}
	_, diags, err := udkit.Lint(body)
	if err != nil {
		return m
	}
	for _, d := range diags {
		if _, ok := m[d.Where+"\x00"+d.Rule]; !ok && d.Line > 0 {
			m[d.Where+"\x00"+d.Rule] = d.Line
		}
	}
	return m
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
