package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/registry"
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

// A registry that refuses is 1; one that cannot be asked is 2.
func TestRequestExit(t *testing.T) {
	if got := requestExit(fmt.Errorf("token create: %w", &registry.Error{Code: "unauthorized", Status: 401})); got != exitFail {
		t.Errorf("401: exit %d, want %d", got, exitFail)
	}
	if got := requestExit(&registry.Error{Status: 503}); got != exitTrouble {
		t.Errorf("503: exit %d, want %d", got, exitTrouble)
	}
	if got := requestExit(errors.New("dial tcp: connection refused")); got != exitTrouble {
		t.Errorf("connection refused: exit %d, want %d", got, exitTrouble)
	}
	tok, err := registry.NewToken(registry.AdminTokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"token", "create", "--cluster", "web", "--url", "http://127.0.0.1:1", "--admin-token-file", file}, strings.NewReader(""), &out, &errb)
	if code != exitTrouble || !strings.Contains(errb.String(), "connection refused") {
		t.Errorf("unreachable registry: exit %d, stderr %q; want %d", code, errb.String(), exitTrouble)
	}
}
