package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/registry"
)

// members exits 1 when the registry answers and refuses (an API error),
// 2 when it cannot be asked or fails (a 5xx), as the contract says.
func TestMembersExitCodes(t *testing.T) {
	status := http.StatusUnauthorized
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"code":"unauthorized","message":"registry: unknown admin token"}`))
	}))
	defer srv.Close()
	tok, err := registry.NewToken(registry.AdminTokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status int
		want   int
	}{{http.StatusUnauthorized, exitFail}, {http.StatusNotFound, exitFail}, {http.StatusServiceUnavailable, exitTrouble}} {
		status = tc.status
		var out, errb bytes.Buffer
		code := run([]string{"members", "--url", srv.URL, "--token-file", file, "web"}, strings.NewReader(""), &out, &errb)
		if code != tc.want || !strings.HasPrefix(errb.String(), "udkit members: ") {
			t.Errorf("HTTP %d: exit %d, stderr %q; want %d", tc.status, code, errb.String(), tc.want)
		}
	}
}
