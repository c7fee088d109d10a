package main

import (
	"fmt"
	"io"

	"github.com/udkit/udkit/internal/buildinfo"
)

func init() {
	register("version", command{
		summary: "print the udkit version and VCS revision (also --version)",
		run:     runVersion,
	})
}

// runVersion prints the module version, VCS revision and time and Go
// version from the binary's build information (see internal/buildinfo).
func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: udkit version")
		return exitUsage
	}
	io.WriteString(stdout, buildinfo.Text("udkit"))
	return exitOK
}
