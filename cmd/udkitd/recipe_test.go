package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/internal/realtools"
)

// recipePage is the document whose ```sh recipe blocks TestRecipeThreeNodes runs.
const recipePage = "../../docs/registry.md"

// recipeBlocks returns the bodies of the ```sh recipe fenced blocks of
// a Markdown text, in order.
func recipeBlocks(doc string) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.SplitAfter(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```sh recipe":
			cur = new(strings.Builder)
		case cur != nil && trimmed == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}

// TestRecipeThreeNodes follows "Three nodes on one host" in
// docs/registry.md step by step: it runs the ```sh recipe blocks as they
// are, in one sh, with the recipe's loopback ports replaced by free ones,
// the udkitd and udkit built for the tests on the PATH. The recipe starts
// three udkitd processes (one bootstraps, two join), makes a join token,
// registers an instance with curl, SIGKILLs the first node, registers a
// second instance through a survivor and lists both, then stops the
// survivors with SIGTERM. The test checks the script succeeds, that the
// listing shows both instances, and that every node has exited.
func TestRecipeThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("3-process recipe skipped in -short mode")
	}
	realtools.Require(t, "curl")
	realtools.Require(t, "od")
	doc, err := os.ReadFile(recipePage)
	if err != nil {
		t.Fatal(err)
	}
	blocks := recipeBlocks(string(doc))
	script := strings.Join(blocks, "")
	// The recipe must still do what this test says it does.
	for _, step := range []string{"--join 127.0.0.1:9181", "token create", "kill -KILL", "udkit members", "kill -TERM"} {
		if !strings.Contains(script, step) {
			t.Fatalf("the ```sh recipe blocks of %s lack %q; update the recipe or this test (%d blocks)", recipePage, step, len(blocks))
		}
	}
	// The recipe's fixed ports become free ones. A port taken between
	// freeAddr and udkitd's bind fails the recipe: then it runs again on
	// new ports, up to 3 times (as startFresh does for one daemon).
	var dir string
	var out, errb bytes.Buffer
	var runErr error
	var begin time.Time
	logs := func() string {
		var b strings.Builder
		for i := 1; i <= 3; i++ {
			l, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d.log", i)))
			fmt.Fprintf(&b, "==== n%d.log ====\n%s", i, l)
		}
		return b.String()
	}
	for attempt := 1; attempt <= 3; attempt++ {
		var repl []string
		for i := 1; i <= 3; i++ {
			for _, base := range []int{9180, 8180} {
				repl = append(repl, fmt.Sprintf("127.0.0.1:%d", base+i), freeAddr(t))
			}
		}
		dir = t.TempDir()
		out.Reset()
		errb.Reset()
		begin = time.Now()
		runErr = runRecipe(dir, strings.NewReplacer(repl...).Replace(script), &out, &errb)
		if runErr == nil || !bindFailedRE.MatchString(logs()) {
			break
		}
		t.Logf("attempt %d: a port was taken, again on new ports:\n%s", attempt, logs())
	}
	if runErr != nil {
		t.Fatalf("the recipe failed: %v\nstdout:\n%s\nstderr:\n%s\n%s", runErr, out.String(), errb.String(), logs())
	}
	t.Logf("recipe ran in %s; udkit members printed:\n%s", time.Since(begin).Round(time.Millisecond), out.String())
	for _, id := range []string{"i-1", "i-2"} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("udkit members after losing node 1 lacks %s:\n%s", id, out.String())
		}
	}
	// Every node exited: n1 by SIGKILL, n2 and n3 on SIGTERM after a
	// handover (the recipe's wait returned).
	for i := 1; i <= 3; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d.pid", i)))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid > 0 && syscall.Kill(pid, 0) == nil {
			t.Errorf("node %d (PID %d) still runs after the recipe", i, pid)
		}
	}
	for i := 2; i <= 3; i++ {
		l, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("n%d.log", i)))
		if !strings.Contains(string(l), "stopping: draining HTTP requests") {
			t.Errorf("n%d did not stop cleanly:\n%s", i, logs())
		}
	}
}

// runRecipe runs script with sh -eu in dir, with the test's udkitd and
// udkit first on the PATH, for at most 3 minutes. The script and every
// node it starts are one process group, killed by its id (the shell's
// PID) when the script ends, so a failed run leaves no node behind.
func runRecipe(dir, script string, stdout, stderr *bytes.Buffer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-eu", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left
	}
	return err
}
