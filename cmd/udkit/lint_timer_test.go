package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintTimers checks that `udkit lint` lints a timer written by
// write_files, and a timer unit file given alone, with the timer rules,
// and that --ignore takes a timer rule's id.
func TestLintTimers(t *testing.T) {
	dir := t.TempDir()
	cc := filepath.Join(dir, "user-data.yaml")
	if err := os.WriteFile(cc, []byte("#cloud-config\nwrite_files:\n  - path: /etc/systemd/system/renew.timer\n    content: |\n      [Timer]\n      OnBootSec=30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := filepath.Join(dir, "renew.timer")
	if err := os.WriteFile(tm, []byte("[Timer]\nOnBootSec=30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in the output
		not  string // never in the output
	}{
		{"write_files timer", []string{"lint", cc}, 1, "[timer-install]", "[no-exec-stop]"},
		{"timer unit alone", []string{"lint", tm}, 1, "[timer-install]", "[no-exec-stop]"},
		{"ignored", []string{"lint", "--ignore", "timer-install", tm}, 0, "", "[timer-install]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			all := out.String() + errb.String()
			if code != tc.code || !strings.Contains(all, tc.want) || (tc.not != "" && strings.Contains(all, tc.not)) {
				t.Errorf("exit %d, want %d; output must hold %q and not %q:\n%s", code, tc.code, tc.want, tc.not, all)
			}
		})
	}
}
