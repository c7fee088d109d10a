package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a problem (or a difference)
	exitUsage = 2 // the command line was wrong, or the command could not run
)

// command is one udkit subcommand. run gets the arguments after the
// command's name and the process's standard streams, and returns the exit
// code.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands maps names to subcommands; each command file adds itself in init.
var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func init() {
	register("version", command{
		summary: "print the udkit version",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			if len(args) != 0 {
				fmt.Fprintln(stderr, "usage: udkit version")
				return exitUsage
			}
			fmt.Fprintln(stdout, "udkit", version())
			return exitOK
		},
	})
}

// version is the module version the binary was built from, or "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// run dispatches to a subcommand. It is main without the process: tests
// call it with their own streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		w := stdout
		code := exitOK
		if len(args) == 0 {
			w, code = stderr, exitUsage
		}
		usage(w)
		return code
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "udkit: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

// inputLimits ends the usage text: what each command reads at most. Any
// input within them is handled within about 2 s and 128 MiB.
const inputLimits = `
input limits:
  lint, validate, inspect, diff  1 MiB per file, 2 MiB once gzip is inflated, 1000 parts;
                                 each cloud-config 1 MiB, 100,000 YAML nodes once aliases
                                 are expanded; one document, all parts and checks together,
                                 8 MiB of gzip output, 400,000 nodes, 16 MiB of YAML text
  render                         1 MiB per spec file and per file it references
  diff                           cloud-configs over 128 KiB are compared line by line
`

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: udkit <command> [flags] [args]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-9s %s\n", n, commands[n].summary)
	}
	b.WriteString(inputLimits)
	io.WriteString(w, b.String())
}
