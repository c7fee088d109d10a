package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/registry"
)

func TestFormatMembers(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ms := []registry.Member{
		{Cluster: "web", InstanceID: "i-0123456789abcdef0", Address: "10.0.0.7:8080",
			Labels:         map[string]string{"zone": "a", "role": "app"},
			UserDataSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			RegisteredAt:   at, UpdatedAt: at.Add(time.Minute), RenewedAt: at.Add(90 * time.Second)},
		{Cluster: "web", InstanceID: "i-2", RegisteredAt: at, UpdatedAt: at},
	}
	golden.AssertString(t, "testdata/members.golden", formatMembers(ms))
	golden.AssertString(t, "testdata/members-clusters.golden", formatClusters([]registry.ClusterSummary{{Cluster: "db", Members: 0}, {Cluster: "web", Members: 2}}))
}

func TestMembersUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.token")
	if err := os.WriteFile(bad, []byte("not-a-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "admin.token")
	tok, _ := registry.NewToken(registry.AdminTokenPrefix)
	if err := os.WriteFile(good, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose.token")
	if err := os.WriteFile(loose, []byte(tok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(loose, 0o644)
	t.Setenv(envRegistryTokenFile, "")
	t.Setenv(envRegistryURL, "")
	t.Setenv(envRegistryCA, "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no token", []string{"members", "web"}, exitUsage, "no admin token"},
		{"missing token file", []string{"members", "--token-file", filepath.Join(dir, "nope"), "web"}, exitUsage, "no such file"},
		{"malformed token", []string{"members", "--token-file", bad, "web"}, exitUsage, "malformed token"},
		{"two clusters", []string{"members", "--token-file", good, "a", "b"}, exitUsage, "at most one CLUSTER"},
		{"bad cluster", []string{"members", "--token-file", good, "Web!"}, exitUsage, `cluster "Web!"`},
		{"bad url", []string{"members", "--token-file", good, "--url", "ftp://x", "web"}, exitUsage, "want http(s)://"},
		{"missing CA", []string{"members", "--token-file", good, "--ca", filepath.Join(dir, "ca.pem"), "web"}, exitUsage, "CA file"},
		{"token over plain http", []string{"members", "--token-file", good, "--url", "http://registry.internal:8180", "web"}, exitTrouble, "--insecure-http"},
		{"unreachable", []string{"members", "--token-file", good, "--url", "http://127.0.0.1:1", "--timeout", "5s", "web"}, exitTrouble, "connection refused"},
		// Issue 16 item 14: a token file others can read is warned about.
		{"loose token file", []string{"members", "--token-file", loose, "--url", "http://127.0.0.1:1", "--timeout", "5s", "web"}, exitTrouble, "warning: token file " + loose + " is mode 0644"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("exit %d stderr %q; want %d and %q", code, errb.String(), tc.code, tc.want)
			}
		})
	}
}

// TestFormatMembersHostileLabels reproduces issue 16 item 10 on the output
// side: values a registry stored before it validated them (or a hostile
// answer) carry C1 controls, U+2028, U+202E and ',' and '='. The table
// shows every such character escaped, and a value with ',' or '=' quoted,
// so that it reads as one label.
func TestFormatMembersHostileLabels(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ms := []registry.Member{{Cluster: "web", InstanceID: "i-1\u202e", Address: "\x1b]8;;http://x\x07",
		Labels: map[string]string{
			"csi":   "\u009b2J",
			"ls":    "a\u2028b",
			"rlo":   "\u202etxt.exe",
			"extra": "x,admin=true",
			"tab":   "a\tb",
			"plain": "café",
		},
		RegisteredAt: at, UpdatedAt: at}}
	out := formatMembers(ms)
	for _, r := range out {
		if r == '\t' || r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x202e {
			t.Errorf("raw %U in the output:\n%s", r, out)
		}
	}
	for _, want := range []string{`csi="\u009b2J"`, `ls="a\u2028b"`, `rlo="\u202etxt.exe"`, `extra="x,admin=true"`, `tab="a\tb"`, `plain=café`, `i-1\u202e`, `\x1b]8;;http://x\a`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// Split the LABELS cell at ',' outside quotes: six labels, not seven.
	line := strings.Split(out, "\n")[1]
	cellText := line[strings.LastIndex(line, "  ")+2:]
	n, quoted := 1, false
	for i := 0; i < len(cellText); i++ {
		switch {
		case cellText[i] == '\\':
			i++
		case cellText[i] == '"':
			quoted = !quoted
		case cellText[i] == ',' && !quoted:
			n++
		}
	}
	if n != 6 {
		t.Errorf("the labels cell %q reads as %d labels, want 6", cellText, n)
	}
}
