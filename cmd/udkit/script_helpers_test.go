package main

import (
	"os/exec"

	"github.com/udkit/udkit/golden"
)

var execLookPath = exec.LookPath

// updateScripts reports whether the test binary runs with -update, the
// flag of the golden package, shared by every test of the module.
func updateScripts() bool { return golden.Updating() }
