//go:build libsqlite3

// This test runs `udkit members --watch` against a real registry (a dqlite
// node and the HTTP API), so it needs cgo and libdqlite, which the udkit
// binary itself never links: hence the build tag.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// TestMembersWatch: --watch lists the cluster, then prints one line per
// change as it happens (text and JSON lines), and exits 0 when
// interrupted.
func TestMembersWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := store.Open(ctx, nodetest.Start(t).DB(), store.Options{Transient: dqlitenode.IsTransient})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.NewHandler(st, nil))
	t.Cleanup(srv.Close)
	admin, _ := registry.NewToken(registry.AdminTokenPrefix)
	if err := st.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	jt, err := st.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	joiner, _ := client.New(srv.URL, jt.Token, nil)
	file := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(file, []byte(admin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-a", Address: "10.0.0.1:80", Labels: map[string]string{"zone": "a"}}); err != nil {
		t.Fatal(err)
	}

	// i-b keeps its member token, so that it may register again after
	// it left (as an instance rebooting would).
	tokB, _ := registry.NewToken(registry.MemberTokenPrefix)
	for _, asJSON := range []bool{false, true} {
		wctx, stop := context.WithCancel(ctx)
		watchContext = func() (context.Context, context.CancelFunc) { return wctx, stop }
		pr, pw := io.Pipe()
		var errb strings.Builder
		args := []string{"members", "--url", srv.URL, "--token-file", file, "--watch"}
		if asJSON {
			args = append(args, "--json")
		}
		args = append(args, "web")
		code := make(chan int, 1)
		go func() {
			c := run(args, strings.NewReader(""), pw, &errb)
			pw.Close()
			code <- c
		}()
		lines := bufio.NewScanner(pr)
		next := func() string {
			t.Helper()
			if !lines.Scan() {
				t.Fatalf("json=%v: output ended (stderr %q)", asJSON, errb.String())
			}
			return lines.Text()
		}
		first := []string{next()}
		if !asJSON {
			first = append(first, next())
		}
		// The listing is printed: now register and deregister.
		r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-b", MemberToken: tokB})
		if err != nil {
			t.Fatal(err)
		}
		joined := next()
		member, _ := client.New(srv.URL, r.MemberToken, nil)
		if _, err := member.Deregister(ctx, "web", "i-b"); err != nil {
			t.Fatal(err)
		}
		left := next()
		stop()
		// Let the command finish (and close the pipe) before the next round.
		go io.Copy(io.Discard, pr)
		if c := <-code; c != exitOK {
			t.Fatalf("json=%v: exit %d, stderr %q", asJSON, c, errb.String())
		}
		if !asJSON {
			if !strings.HasPrefix(first[0], "# 1 member(s) of web at index ") ||
				!strings.HasPrefix(first[1], "member     i-a 10.0.0.1:80 ") || !strings.HasSuffix(first[1], " zone=a") {
				t.Errorf("listing %q", first)
			}
			if !strings.HasPrefix(joined, "joined     i-b - ") || !strings.Contains(joined, " seq=") {
				t.Errorf("joined line %q", joined)
			}
			if !strings.HasPrefix(left, "left       i-b - ") {
				t.Errorf("left line %q", left)
			}
			continue
		}
		var l watchListLine
		if err := json.Unmarshal([]byte(first[0]), &l); err != nil || l.Event != "list" || l.Cluster != "web" || len(l.Members) != 1 || l.Index == 0 {
			t.Errorf("list line %q: %+v %v", first[0], l, err)
		}
		for _, tc := range []struct {
			line string
			kind registry.ChangeKind
		}{{joined, registry.ChangeJoined}, {left, registry.ChangeLeft}} {
			var c watchChangeLine
			if err := json.Unmarshal([]byte(tc.line), &c); err != nil || c.Event != "change" || c.Kind != tc.kind || c.InstanceID != "i-b" || c.Seq <= l.Index {
				t.Errorf("change line %q: %+v %v", tc.line, c, err)
			}
		}
	}
}
