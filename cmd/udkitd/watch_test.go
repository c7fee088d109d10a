package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// TestServeWatch runs three udkitd processes as one cluster and the
// pure-Go `udkit members --watch --json` against node B: a registration
// made through node A and its deregistration through node C appear as
// change lines, and SIGINT ends the watch with exit 0. Meanwhile a
// blocking query on node B waits 35 s, longer than udkitd's 30 s read
// timeout, and still gets its answer.
func TestServeWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("3-process cluster test with a 35 s wait skipped in -short mode")
	}
	common := []string{"--http", "127.0.0.1:0", "--shutdown-timeout", "5s"}
	a, dqA, first := startFresh(t, freeAddr, func(dq, data string) []string {
		return append([]string{"--data", data, "--dqlite", dq}, common...)
	})
	ds := []*daemon{a}
	for range 2 {
		d, _, _ := startFresh(t, freeAddr, func(dq, data string) []string {
			return append([]string{"--data", data, "--dqlite", dq, "--join", dqA}, common...)
		})
		ds = append(ds, d)
	}
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", ds[0].url, "--data", first)
	if code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	join := strings.TrimSpace(out)
	adminFile := filepath.Join(first, "admin.token")
	admin, err := registry.ReadTokenFile(adminFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm, _ := client.New(ds[1].url, admin, &http.Client{Timeout: time.Minute})
	_, idx, err := adm.MembersAt(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}

	// The long wait, on node B, for a cluster nobody touches.
	type answer struct {
		status int
		took   time.Duration
		err    error
	}
	long := make(chan answer, 1)
	go func() {
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/clusters/quiet/changes?after=%d&wait=35s", ds[1].url, idx), nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			long <- answer{err: err, took: time.Since(start)}
			return
		}
		resp.Body.Close()
		long <- answer{status: resp.StatusCode, took: time.Since(start)}
	}()

	watch := exec.Command(udkitBinary, "members", "--url", ds[1].url, "--watch", "--json", "web")
	watch.Env = append(os.Environ(), "UDKIT_REGISTRY_TOKEN_FILE="+adminFile)
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	watch.Stderr = &stderr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer watch.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(what string) map[string]any {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s: the watch ended (stderr %q)", what, stderr.String())
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: line %q: %v", what, l, err)
			}
			return m
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no line in 30s (stderr %q)", what, stderr.String())
		}
		return nil
	}
	if m := next("listing"); m["event"] != "list" {
		t.Fatalf("first line %v", m)
	}
	joinA, _ := client.New(ds[0].url, join, nil)
	r, err := joinA.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1", Address: "10.0.0.1:80"})
	if err != nil {
		t.Fatal(err)
	}
	if m := next("joined"); m["event"] != "change" || m["kind"] != "joined" || m["instance_id"] != "i-1" {
		t.Fatalf("after a registration on A: %v", m)
	}
	memberC, _ := client.New(ds[2].url, r.MemberToken, nil)
	if _, err := memberC.Deregister(ctx, "web", "i-1"); err != nil {
		t.Fatal(err)
	}
	if m := next("left"); m["kind"] != "left" || m["instance_id"] != "i-1" {
		t.Fatalf("after a deregistration on C: %v", m)
	}
	watch.Process.Signal(syscall.SIGINT)
	if err := watch.Wait(); err != nil {
		t.Fatalf("udkit members --watch after SIGINT: %v (stderr %q)", err, stderr.String())
	}

	got := <-long
	if got.err != nil || got.status != 200 || got.took < 35*time.Second {
		t.Fatalf("35 s wait: status %d after %v, %v", got.status, got.took, got.err)
	}
}

// TestServeMaxWatchers: --max-watchers bounds the blocking queries a node
// holds: with 1, a second watch is answered 503 with Retry-After while the
// first waits.
func TestServeMaxWatchers(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, "--data", data, "--dqlite", freeAddr(t), "--http", "127.0.0.1:0", "--max-watchers", "1", "--change-window", "50")
	admin, err := registry.ReadTokenFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm, _ := client.New(d.url, admin, &http.Client{Timeout: time.Minute})
	_, idx, err := adm.MembersAt(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	watch := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/clusters/web/members?index=%d&wait=30s", d.url, idx), nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		return http.DefaultClient.Do(req)
	}
	first, cancelFirst := context.WithCancel(ctx)
	defer cancelFirst()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := watch(first); err == nil {
			res.Body.Close()
		}
	}()
	// The second watch is shed once the first holds the one slot.
	time.Sleep(300 * time.Millisecond)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx2, cancel2 := context.WithTimeout(ctx, 2*time.Second)
		res, err := watch(ctx2)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusServiceUnavailable {
				cancel2()
				if res.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				break
			}
		}
		cancel2()
		if time.Now().After(deadline) {
			t.Fatalf("a second watch was never shed with --max-watchers 1 (last: %v)\n%s", err, d.logs())
		}
	}
	cancelFirst()
	<-done
}
