package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/udkit/udkit/internal/realtools"
)

// TestMain lets the test binary act as the udkit command inside the
// scripts: testscript re-runs it as "udkit", which calls run with the
// process's own streams, exactly as main does.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"udkit": func() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) },
	}))
}

// TestScripts runs the CLI scripts in testdata/script/*.txtar: each is a
// txtar archive with the commands, their expected exit status and output,
// and the input files. Each script also gets the userdata package's golden
// documents in $WORK/golden (they hold CRLF line endings, which a txtar
// archive cannot carry), $ROOT (the repository, for the example spec and
// its golden output), $UDKITBIN (the directory of the udkit command, for
// scripts that set PATH=$UDKITBIN to hide the system's tools) and
// $ORIGPATH. Run with -testwork to keep the work directories, with -update
// to rewrite the expected output in the archives.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROOT", root)
			env.Setenv("ORIGPATH", env.Getenv("PATH"))
			bin := ""
			for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
				if _, err := os.Stat(filepath.Join(dir, "udkit")); err == nil {
					bin = dir
					break
				}
			}
			if bin == "" {
				return fmt.Errorf("no udkit command on PATH %q", env.Getenv("PATH"))
			}
			env.Setenv("UDKITBIN", bin)
			return copyGlob(filepath.Join("..", "..", "userdata", "testdata", "golden", "*.golden"), filepath.Join(env.WorkDir, "golden"))
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
		// exits CODE COMMAND [ARGS...] runs the command like exec and
		// checks its exact exit status (exec and ! exec only tell zero
		// from non-zero): the exit-code contract is tested with it.
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exits: %v", err)
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exits: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
		},
		UpdateScripts: updateScripts(),
	})
}

func copyGlob(pattern, dir string) error {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		out, err := os.Create(filepath.Join(dir, filepath.Base(f)))
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
