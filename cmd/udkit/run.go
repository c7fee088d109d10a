package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/udkit/udkit/diag"
)

// Exit codes shared by every command; see the package doc and
// `udkit help exit-codes`.
const (
	exitOK = 0
	// exitFail: the input has findings or differs (lint, validate, diff,
	// plan), or was refused (render with lint errors or over the size
	// limit).
	exitFail = 1
	// exitTrouble: the command could not do its job: a usage error, a
	// missing or unreadable file, input that cannot be decoded at all, an
	// I/O error, a tool that is needed but missing.
	exitTrouble = 2
	// exitUsage is exitTrouble: a wrong command line is one way of not
	// being able to do the job.
	exitUsage = exitTrouble
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

// run dispatches to a subcommand. It is main without the process: tests
// call it with their own streams.
//
// Help is handled here for every command, so that it looks the same
// everywhere and always goes to stdout with exit 0: `udkit help CMD`,
// `udkit CMD --help` (or -h, -help) anywhere before a "--".
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], stdout, stderr)
	case "--version", "-version":
		if len(args) != 1 {
			fmt.Fprintf(stderr, "udkit: %s takes no arguments\n", args[0])
			return exitUsage
		}
		return runVersion(nil, stdin, stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "udkit: unknown command %s\n", diag.Quote(args[0]))
		if s := suggest(args[0]); s != "" {
			fmt.Fprintf(stderr, "\nDid you mean this?\n\t%s\n\n", s)
		}
		fmt.Fprintln(stderr, `Run "udkit help" for the list of commands.`)
		return exitUsage
	}
	if wantsHelp(args[1:]) {
		return helpCommand(args[0], stdout, stderr)
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

// wantsHelp reports whether args ask for help: -h, -help or --help
// before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// suggest returns the command whose name is closest to name (a prefix of
// it, or within two edits), or "".
func suggest(name string) string {
	best, bestD := "", 3
	for _, n := range commandNames() {
		if len(name) >= 2 && strings.HasPrefix(n, name) {
			return n
		}
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// commandNames returns the names of the commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	names := commandNames()
	var b strings.Builder
	b.WriteString("udkit composes, checks and explains cloud-init user data.\n\n")
	b.WriteString("usage: udkit <command> [flags] [args]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	b.WriteString(`
flags:
  --help     help for udkit or, after a command, for that command
  --version  print the version and VCS revision

Run "udkit help COMMAND" (or "udkit COMMAND --help") for a command's flags
and examples, "udkit help exit-codes" for what the exit status means.
`)
	io.WriteString(w, b.String())
}
