package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// TestLeaseEviction: `udkitd lease set` gives a cluster a 5 s lease; a
// member that renews stays, one that does not is evicted by the daemon's
// own sweeper (real time, --lease-sweep 200ms), with an audit line, and
// /healthz reports the evictor's state.
func TestLeaseEviction(t *testing.T) {
	d, _, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--lease-sweep", "200ms"}
	})
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errs)
	}
	join := strings.TrimSpace(out)
	if code, out, errs := runCLI(t, "lease", "set", "--cluster", "web", "--ttl", "5s", "--url", d.url, "--data", data); code != 0 || out != "web  ttl 5s\n" {
		t.Fatalf("lease set: %d %q %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "lease", "show", "--cluster", "web", "--url", d.url, "--data", data); code != 0 || out != "web  ttl 5s\n" {
		t.Fatalf("lease show: %d %q %s", code, out, errs)
	}
	ctx := context.Background()
	jc, _ := client.New(d.url, join, nil)
	var toks []string
	for _, id := range []string{"i-live", "i-dead"} {
		tok, _ := registry.NewToken(registry.MemberTokenPrefix)
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, MemberToken: tok}); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	live := jc.WithToken(toks[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		if r, err := live.Renew(ctx, "web", "i-live"); err != nil || !r.Renewed {
			t.Fatalf("renew: %+v, %v", r, err)
		}
		h, err := jc.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Lease != nil && h.Lease.Evicted == 1 {
			if !h.Lease.Leader || h.Lease.SelfPreservation || h.Lease.Leased != 1 {
				t.Fatalf("/healthz lease state: %+v", *h.Lease)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("i-dead not evicted after 20 s; /healthz %+v\n%s", h, d.logs())
		}
		time.Sleep(time.Second)
	}
	c, _ := client.New(d.url, "", nil)
	tok, err := registry.ReadTokenFile(data + "/admin.token")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.WithToken(tok).Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].InstanceID != "i-live" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
	d.stop(t)
	logs := d.logs()
	if !strings.Contains(logs, "msg=audit action=evict reason=expired") || !strings.Contains(logs, "instance_id=i-dead") || !strings.Contains(logs, "action=lease_set") {
		t.Fatalf("no eviction or lease audit line:\n%s", logs)
	}
	if strings.Contains(logs, toks[1]) {
		t.Fatal("the log holds a member token")
	}
}

func TestLeaseFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"lease"},
		{"lease", "drop", "--cluster", "web"},
		{"lease", "set", "--cluster", "web"},
		{"lease", "set", "--cluster", "web", "--ttl", "1s"},
		{"lease", "set", "--cluster", "web", "--ttl", "1500ms"},
		{"lease", "show"},
		{"lease", "show", "--cluster", "web", "--ttl", "10s"},
		{"serve", "--data", "x", "--lease-renewal-threshold", "0"},
		{"serve", "--data", "x", "--lease-renewal-threshold", "1.5"},
		{"serve", "--data", "x", "--lease-sweep", "1ms"},
		{"serve", "--data", "x", "--lease-tolerance", "-1"},
	} {
		if code, _, errs := runCLI(t, args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errs)
		}
	}
}
