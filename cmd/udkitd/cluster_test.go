package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// TestServeClusterSurvivesNodeLoss runs four udkitd processes as one
// cluster (three voters and a stand-by), stops one cleanly with SIGTERM
// and kills another with SIGKILL, and checks that registrations go on
// through the survivors and none is lost.
func TestServeClusterSurvivesNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("4-process cluster test skipped in -short mode")
	}
	common := []string{"--http", "127.0.0.1:0", "--network-latency", "20ms", "--shutdown-timeout", "5s"}
	d1, dq1, first := startFresh(t, freeAddr, func(dq, data string) []string {
		return append([]string{"--data", data, "--dqlite", dq}, common...)
	})
	ds := []*daemon{d1}
	for i := 0; i < 3; i++ {
		d, _, _ := startFresh(t, freeAddr, func(dq, data string) []string {
			return append([]string{"--data", data, "--dqlite", dq, "--join", dq1}, common...)
		})
		ds = append(ds, d)
	}
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", ds[3].url, "--data", first)
	if code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	join := strings.TrimSpace(out)

	next := 0
	// register registers count instances through the given daemons in
	// turn, retrying each on the next daemon as a launch script would.
	register := func(live []*daemon, count int) {
		t.Helper()
		for i := 0; i < count; i++ {
			id := fmt.Sprintf("i-%03d", next)
			next++
			tok, _ := registry.NewToken(registry.MemberTokenPrefix)
			deadline := time.Now().Add(60 * time.Second)
			for attempt := 0; ; attempt++ {
				c, _ := client.New(live[(i+attempt)%len(live)].url, join, nil)
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				_, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, MemberToken: tok})
				cancel()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("register %s: %v", id, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	register(ds, 20)

	// A clean stop hands the first node's vote to the stand-by.
	ds[0].stop(t)
	register(ds[1:], 20)

	// A crash: no handover. Two of the three voters remain.
	if err := ds[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ds[1].done
	register(ds[2:], 20)

	admin, err := registry.ReadTokenFile(filepath.Join(first, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ac, _ := client.New(ds[2].url, admin, nil)
	ms, err := ac.Members(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 60 {
		t.Fatalf("%d members after losing two nodes, want 60", len(ms))
	}
	for i, m := range ms {
		if want := fmt.Sprintf("i-%03d", i); m.InstanceID != want {
			t.Fatalf("member %d is %s, want %s", i, m.InstanceID, want)
		}
	}
	// The last two stop on SIGTERM with exit status 0, even though the
	// last one alone has no quorum to hand anything over to.
	for _, d := range ds[2:] {
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-d.done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, d.logs())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no exit within 30s of SIGTERM:\n%s", d.logs())
		}
	}
}
