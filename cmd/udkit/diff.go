package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/udkit/udkit/semdiff"
	"github.com/udkit/udkit/userdata"
)

const diffUsage = "usage: udkit diff [--json] A B"

func init() {
	register("diff", command{
		summary: "compare two user data semantically (exit 0 same, 1 different, 2 trouble)",
		run:     runDiff,
	})
}

// diffJSON is the --json output of diff, schema 1 (see help.go).
type diffJSON struct {
	Schema int  `json:"schema"`
	Equal  bool `json:"equal"`
	*semdiff.Result
}

// runDiff decodes both documents as cloud-init would and compares them
// with package semdiff: parts paired up, cloud-config by YAML path
// (write_files entries matched by path, units inside them by section and
// key), units by section and key, other parts line by line. Differences
// in encoding only (gzip, base64, MIME boundary, transfer encoding) are
// noted but do not count.
func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("diff", diffUsage, stderr)
	asJSON := fs.Bool("json", false, "print the differences as one JSON object (schema 1)")
	files, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(files) != 2 || files[0] == "-" && files[1] == "-" {
		fmt.Fprintln(stderr, diffUsage)
		return exitUsage
	}
	var docs [2]*userdata.Decoded
	for i, name := range files {
		data, err := readInput(name, stdin, userdata.DefaultMaxInput)
		if err != nil {
			printLine(stderr, "udkit diff: %v", err)
			return exitUsage
		}
		if docs[i], err = userdata.Decode(data, userdata.Limits{}); err != nil {
			printLine(stderr, "udkit diff: %s: %v", name, err)
			return exitUsage
		}
	}
	res := semdiff.Decoded(docs[0], docs[1], semdiff.Options{NameA: files[0], NameB: files[1]})
	if *asJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(diffJSON{Schema: 1, Equal: res.Equal(), Result: res}); err != nil {
			printLine(stderr, "udkit diff: %v", err)
			return exitTrouble
		}
		if _, err := stdout.Write(jsonSafe(buf.Bytes())); err != nil {
			printLine(stderr, "udkit diff: writing standard output: %v", err)
			return exitTrouble
		}
	} else if err := res.WriteText(stdout); err != nil {
		printLine(stderr, "udkit diff: writing standard output: %v", err)
		return exitTrouble
	}
	if !res.Equal() {
		return exitFail
	}
	return exitOK
}
