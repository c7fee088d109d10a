package cloudconfig_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
)

// toolTimeout bounds each run of an external program (cloud-init's Python,
// sh) in the tests; they take a second or less.
const toolTimeout = 2 * time.Minute

// runTool runs name with args and returns its standard output, or with
// combined set its standard output and error interleaved. A program still
// running after timeout is killed, and the error says so.
func runTool(timeout time.Duration, combined bool, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 10 * time.Second // a child holding the output open cannot block Wait
	var out bytes.Buffer
	cmd.Stdout = &out
	if combined {
		cmd.Stderr = &out
	}
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.Bytes(), fmt.Errorf("%s did not finish within %v and was killed; it normally takes a second: run it by hand to see where it hangs", name, timeout)
	}
	return out.Bytes(), err
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Assert(t, path, got)
}

// runTool kills a program that outlives its timeout and says so.
func TestRunToolTimeout(t *testing.T) {
	sh := realtools.Require(t, "sh")
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		wantErr string
	}{
		{"finishes", "echo ok", toolTimeout, ""},
		{"fails", "echo no; exit 3", toolTimeout, "exit status 3"},
		{"hangs", "echo started; exec sleep 30", time.Second, "did not finish within 1s and was killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runTool(tt.timeout, true, sh, "-c", tt.script)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%v\n%s", err, out)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
