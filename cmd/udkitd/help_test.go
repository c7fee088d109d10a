package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Help and version go to standard output with exit 0; a wrong command
// line exits 2 with the reason on standard error.
func TestHelpVersionExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args             []string
		code             int
		stdout, stderr   string
		noStdout, noErrs bool
	}{
		{args: nil, code: exitUsage, stderr: "usage: udkitd", noStdout: true},
		{args: []string{"bogus"}, code: exitUsage, stderr: `unknown command "bogus"`, noStdout: true},
		{args: []string{"help"}, code: exitOK, stdout: "reconcile", noErrs: true},
		{args: []string{"--help"}, code: exitOK, stdout: "Exit status: 0 done", noErrs: true},
		{args: []string{"help", "serve"}, code: exitOK, stdout: "-data", noErrs: true},
		{args: []string{"serve", "--help"}, code: exitOK, stdout: "-data", noErrs: true},
		{args: []string{"help", "token"}, code: exitOK, stdout: "admin-create", noErrs: true},
		{args: []string{"token", "create", "-h"}, code: exitOK, stdout: "-cluster", noErrs: true},
		{args: []string{"help", "reconcile"}, code: exitOK, stdout: "usage: udkitd reconcile", noErrs: true},
		{args: []string{"reconcile", "-help"}, code: exitOK, stdout: "usage: udkitd reconcile", noErrs: true},
		{args: []string{"version"}, code: exitOK, stdout: "udkitd ", noErrs: true},
		{args: []string{"--version"}, code: exitOK, stdout: "\nrevision ", noErrs: true},
		{args: []string{"version", "x"}, code: exitUsage, stderr: "usage: udkitd version", noStdout: true},
		{args: []string{"serve", "--bogus"}, code: exitUsage, stderr: "flag provided but not defined"},
		{args: []string{"token"}, code: exitUsage, stderr: "usage:"},
		{args: []string{"token", "frob"}, code: exitUsage, stderr: "unknown subcommand"},
		{args: []string{"reconcile"}, code: exitUsage},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errb)
		if code != tc.code {
			t.Errorf("udkitd %q: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
		if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
			t.Errorf("udkitd %q: stdout %q lacks %q or stderr %q lacks %q", tc.args, out.String(), tc.stdout, errb.String(), tc.stderr)
		}
		if tc.noStdout && out.Len() > 0 || tc.noErrs && errb.Len() > 0 {
			t.Errorf("udkitd %q: stdout %q, stderr %q", tc.args, out.String(), errb.String())
		}
	}
}
