package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/udkit/udkit"
)

const renderUsage = "usage: udkit render [-o FILE] [--gzip auto|always|never] [--compression best|max] [--base64] [--limit N] [--accept-errors] SPEC|-"

func init() {
	register("render", command{
		summary: "build user data from a YAML spec file",
		run:     runRender,
	})
}

// newFlags returns a flag set that reports to stderr and prints usage.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after the positional arguments
// (`udkit render spec.yaml -o out`). It returns the positional arguments.
// A flag error is printed as "udkit NAME: error", then the usage, like
// every other error of the command.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	defer fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			msg := buf.String()
			if !errors.Is(err, flag.ErrHelp) {
				msg = "udkit " + fs.Name() + ": " + msg
			}
			io.WriteString(out, msg)
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("render", renderUsage, stderr)
	out := fs.String("o", "", "write the user data to `FILE` instead of stdout")
	gzip := fs.String("gzip", "", "compress the document: auto (only when over the limit), always or never; default: the spec's output.gzip (auto)")
	compression := fs.String("compression", "", "gzip encoder: best, or max (optimal parsing, a few percent smaller, much slower; with --gzip auto only when best does not fit); default: the spec's output.compression (best)")
	b64 := fs.Bool("base64", false, "encode the result in base64, as launch templates take it")
	limit := fs.Int("limit", 0, "largest document in bytes before base64; 0: the spec's output.limit, else 16384; -1: no limit")
	accept := fs.Bool("accept-errors", false, "render even when the lint rules find errors")
	report := fs.Bool("report", false, "print the size report instead of the user data (with -o, the user data still goes to FILE)")
	reportJSON := fs.Bool("json", false, "with --report, print the report as one JSON object")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, renderUsage)
		return exitUsage
	}
	if *reportJSON && !*report {
		fmt.Fprintf(stderr, "udkit render: --json goes with --report (the user data itself is not JSON)\n%s\n", renderUsage)
		return exitUsage
	}
	var sf *udkit.SpecFile
	if pos[0] == "-" {
		// From stdin: files the spec refers to cannot be found.
		data, rerr := readInput("-", stdin, udkit.MaxSpecSize)
		if rerr != nil {
			printLine(stderr, "udkit render: %v", rerr)
			return exitUsage
		}
		sf, err = udkit.ParseSpecFile(data, nil)
		var se *udkit.SpecError
		if errors.As(err, &se) {
			se.File = "-"
		}
	} else {
		sf, err = udkit.ReadSpecFile(pos[0])
	}
	if err != nil {
		printRenderError(stderr, err)
		var se *udkit.SpecError
		if errors.As(err, &se) {
			return exitFail // the spec has problems
		}
		return exitTrouble
	}
	o := sf.Output
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["gzip"] {
		if err = o.Gzip.UnmarshalText([]byte(*gzip)); err != nil {
			printLine(stderr, "udkit render: --gzip: %s", errText(err))
			fmt.Fprintln(stderr, renderUsage)
			return exitUsage
		}
	}
	if set["compression"] {
		if err := o.Compression.UnmarshalText([]byte(*compression)); err != nil {
			printLine(stderr, "udkit render: --compression: %v", err)
			fmt.Fprintln(stderr, renderUsage)
			return exitUsage
		}
	}
	if set["base64"] {
		o.Base64 = *b64
	}
	if set["limit"] {
		if *limit < -1 {
			fmt.Fprintf(stderr, "udkit render: --limit %d: give a number of bytes, 0 for 16384 or -1 for no limit\n", *limit)
			return exitUsage
		}
		o.Limit = *limit
	}
	if *accept {
		o.AcceptErrors = true
	}
	data, diags, err := udkit.Render(sf.Spec, o)
	for _, d := range diags {
		if d.Severity != udkit.Info {
			printLine(stderr, "%s: %s", pos[0], d)
		}
	}
	if *report {
		return renderReport(stdout, stderr, pos[0], *out, *reportJSON, sf.Spec, o, data, err)
	}
	if err != nil {
		printRenderError(stderr, err)
		return exitFail
	}
	if *out == "" {
		if _, err := stdout.Write(data); err != nil {
			printLine(stderr, "udkit render: writing standard output: %v", err)
			return exitTrouble
		}
		return exitOK
	}
	if err := writeFileAtomic(*out, data); err != nil {
		printLine(stderr, "udkit render: -o %v", err)
		return exitTrouble
	}
	return exitOK
}
