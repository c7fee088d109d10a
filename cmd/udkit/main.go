// Command udkit renders, inspects, compares, lints and validates cloud-init
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
	"runtime/debug"
)

// memoryLimit is the soft limit of the Go runtime's heap: the garbage
// collector works harder near it instead of letting the heap grow, which
// keeps every command on any input up to its size limit within 128 MiB.
const memoryLimit = 96 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
