// Command udkit renders, inspects, plans, compares, lints and validates cloud-init
// user data built with the udkit library.
//
// Usage:
//
//	udkit <command> [flags] [args]
//
// Run `udkit help` for the list of commands, `udkit help COMMAND` or
// `udkit COMMAND --help` for a command's flags and examples, `udkit
// version` (or --version) for the module version and VCS revision, and
// `udkit completion bash|zsh|fish` for a shell completion script.
//
// # Exit status
//
// Every command keeps one contract (also `udkit help exit-codes`):
//
//   - 0: done, and nothing found: the input is valid, lint-clean
//     (warnings and infos alone do not count, except with lint --strict)
//     or the same.
//   - 1: the input has findings or differs (lint, validate, diff, plan),
//     or was refused (render with lint errors or over the size limit).
//   - 2: could not do the job: a usage error, a missing or unreadable
//     file, input that cannot be decoded at all, an I/O error (an
//     unwritable -o), a registry that cannot be reached, a tool that was
//     asked for but is missing. When a command meets both findings and
//     trouble, trouble wins.
//
// Errors go to standard error, with one "udkit COMMAND: " prefix, and
// name the user's file (never a temporary file).
//
// # Output for scripts
//
// lint and validate take --format text|json|github (--json is --format
// json): one JSON object, schema 1, whose findings are diag.Diagnostic
// values as they marshal themselves, or GitHub Actions workflow commands
// (::error file=F,line=L,title=RULE::MESSAGE) that annotate a pull
// request. render --report [--json] prints the size report. inspect and
// plan take --json. Each schema is in the command's help; fields are only
// ever added to it.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
