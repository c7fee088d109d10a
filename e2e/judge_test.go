//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/internal/realtools"
)

// judgedPackages are the packages whose tests run udkit's output through
// the real tools of internal/realtools: the golden checks (cloud-init
// schema on every golden cloud-config, cloud-init's parser on the golden
// user data, systemd-analyze verify on the golden units) and the
// parser-differential tests. realtools itself is first: its self-checks
// prove that the judge discriminates.
var judgedPackages = []string{
	"./internal/realtools/...",
	"./cloudconfig/...",
	"./unit/...",
	"./userdata/...",
	"./examples/...",
	".",
}

// judgeLimit bounds the second judge's go test run (build and tests).
const judgeLimit = 25 * time.Minute

// TestSecondJudge runs the real-tool tests of judgedPackages again with
// every image but the host's generation as the judge: go test with
// realtools.JudgeRootEnv set to the extracted image, so that cloud-init's
// parser and `cloud-init schema` run on that image's Python and
// cloud-init, and systemd-analyze verify and systemd --test on its
// systemd, inside a throw-away overlay (nothing is installed on the
// host). Debian 12 judges in `make test` already (the host's tools).
// `make judge` runs this test alone.
func TestSecondJudge(t *testing.T) {
	imgs, err := bootImages()
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if img == bookwormImage {
			continue // the host's generation: `make test` judges with it
		}
		t.Run(img.Name, func(t *testing.T) {
			root := img.root(t)
			moduleRoot, err := filepath.Abs("..")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), judgeLimit)
			defer cancel()
			args := append([]string{"test", "-tags", "libsqlite3", "-count=1"}, judgedPackages...)
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = moduleRoot
			cmd.Env = append(os.Environ(), realtools.JudgeRootEnv+"="+root, "UDKIT_STRICT_TOOLS=1")
			cmd.WaitDelay = 10 * time.Second
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			begin := time.Now()
			err = cmd.Run()
			t.Logf("go %s with %s=%s (%s): %s", strings.Join(args, " "), realtools.JudgeRootEnv, root, img.Release, time.Since(begin).Round(time.Second))
			summary := regexp.MustCompile(`(?m)^(ok|FAIL|---|\?)\s.*$`)
			for _, l := range summary.FindAllString(out.String(), -1) {
				t.Log(l)
			}
			if ctx.Err() != nil {
				t.Fatalf("the second judge (%s) did not finish within %s:\n%s", img.Release, judgeLimit, tail(out.String(), 200))
			}
			if err != nil {
				t.Fatalf("the second judge (%s) failed: %v\n%s", img.Release, err, out.String())
			}
		})
	}
}
