package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// A udkit built from a git clone prints the commit it was built from:
// the revision comes from the real build information, not from a test
// double. (A linked worktree gets no VCS stamp from go build, which looks
// for a .git directory, so the test builds in a fresh clone of HEAD.)
func TestVersionFromBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds udkit: not in -short")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		if realtools.Strict() {
			t.Fatalf("git is needed: %v", err)
		}
		t.Skip("git not installed")
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	head, err := exec.Command(git, "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("%s is not a git checkout: %v", root, err)
	}
	rev := strings.TrimSpace(string(head))
	dir := t.TempDir()
	clone := filepath.Join(dir, "src")
	if out, err := exec.Command(git, "clone", "-q", "--no-checkout", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	if out, err := exec.Command(git, "-C", clone, "checkout", "-q", rev).CombinedOutput(); err != nil {
		t.Fatalf("git checkout: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "udkit")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/udkit")
	build.Dir = clone
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("udkit %s: %v", args[0], err)
		}
		if !strings.Contains(string(out), "\nrevision "+rev+"\n") {
			t.Errorf("udkit %s does not name revision %s:\n%s", args[0], rev, out)
		}
		if !strings.HasPrefix(string(out), "udkit v") || !strings.Contains(string(out), "module   github.com/udkit/udkit\n") {
			t.Errorf("udkit %s: want the module version from the build (a pseudo-version, or the tag):\n%s", args[0], out)
		}
	}
}
