// Command udkit renders, inspects, plans, compares, lints and validates cloud-init
// user data built with the udkit library.
//
// Usage:
//
//	udkit <command> [flags] [args]
//
// Run `udkit help` for the list of commands.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
