package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/dist"
)

// TestLintDaemonUnit: `udkit lint` on the udkitd unit udkit ships (a
// daemon, Type=notify, no ExecStop=) exits 0 with nothing to say, while a
// daemon that breaks a rule for every service still fails.
func TestLintDaemonUnit(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "udkitd.service")
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(good, []byte(dist.UdkitdService), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("[Service]\nType=simple\nExecStart=udkitd serve | logger\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"lint", good}, strings.NewReader(""), &out, &errb); code != exitOK || out.Len() != 0 {
		t.Errorf("udkit lint udkitd.service: exit %d, want 0 and no output:\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"lint", bad}, strings.NewReader(""), &out, &errb)
	all := out.String() + errb.String()
	if code != exitFail || !strings.Contains(all, "[exec-not-absolute]") || !strings.Contains(all, "[exec-shell-syntax]") || strings.Contains(all, "[no-exec-stop]") {
		t.Errorf("udkit lint bad.service: exit %d, want 1 with the exec rules and no stop-hook rule:\n%s", code, all)
	}
}
