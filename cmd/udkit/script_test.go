package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/udkit/udkit/internal/realtools"
)

// TestMain lets the scripts run udkit as a command: testscript re-runs
// this test binary as "udkit", which calls run with the process's own
// streams, exactly as main does.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"udkit": func() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) },
	}))
}

// TestScripts runs the CLI scripts in testdata/script: each is a txtar
// archive with the commands, their expected exit status and output, and
// the input files. Run with -update to rewrite the expected output
// (testscript's UpdateScripts).
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// The repository, for the example spec and its golden output.
			env.Setenv("ROOT", root)
			// Scripts that hide the system's tools set PATH=$UDKITBIN,
			// the directory testscript puts the udkit command in, and put
			// it back from $ORIGPATH.
			env.Setenv("ORIGPATH", env.Getenv("PATH"))
			for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
				if _, err := os.Stat(filepath.Join(dir, "udkit")); err == nil {
					env.Setenv("UDKITBIN", dir)
					return nil
				}
			}
			return fmt.Errorf("no udkit command on PATH %q", env.Getenv("PATH"))
		},
		// [tool:NAME] is true when the real tool NAME is installed. A
		// script skips its checks without it ([!tool:cloud-init] skip),
		// but in strict mode (make test, CI) a missing tool is an error.
		Condition: func(cond string) (bool, error) {
			name, ok := strings.CutPrefix(cond, "tool:")
			if !ok {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if _, err := execLookPath(name); err != nil {
				if realtools.Strict() {
					return false, fmt.Errorf("required tool missing: %s (%v); run make deps", name, err)
				}
				return false, nil
			}
			return true, nil
		},
		UpdateScripts: updateScripts(),
	})
}
