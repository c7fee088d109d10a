package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

var evictLineRE = regexp.MustCompile(`msg=audit action=evict reason=expired .*instance_id=(\S+)`)

// TestLeaseLeaderKilledDuringEviction runs three udkitd processes as one
// cluster with a 5 s lease on "web": half the members renew every second
// through whichever daemon answers, half never renew. Once the leader's
// log shows the first eviction (batches of 5, so eviction spans many
// transactions) it is killed with SIGKILL. The survivors finish the
// eviction: every silent member is gone, no renewing member is evicted,
// and no member has more than one eviction audit line across the three
// logs. Separate processes: the kill cannot take the survivors with it.
func TestLeaseLeaderKilledDuringEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("3-process cluster test skipped in -short mode")
	}
	common := []string{"--http", "127.0.0.1:0", "--network-latency", "20ms", "--shutdown-timeout", "5s",
		"--lease-sweep", "100ms", "--lease-batch", "5", "--lease-renewal-threshold", "0.3"}
	d1, dq1, first := startFresh(t, freeAddr, func(dq, data string) []string {
		return append([]string{"--data", data, "--dqlite", dq}, common...)
	})
	ds, dqs := []*daemon{d1}, []string{dq1}
	for i := 0; i < 2; i++ {
		d, dq, _ := startFresh(t, freeAddr, func(dq, data string) []string {
			return append([]string{"--data", data, "--dqlite", dq, "--join", dq1}, common...)
		})
		ds, dqs = append(ds, d), append(dqs, dq)
	}
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", ds[0].url, "--data", first)
	if code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	join := strings.TrimSpace(out)
	admin, err := registry.ReadTokenFile(filepath.Join(first, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ac, _ := client.New(ds[0].url, admin, nil)
	leader, err := ac.Ready(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := -1
	for i, dq := range dqs {
		if dq == leader.Leader {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("leader %s is none of %v", leader.Leader, dqs)
	}
	if code, _, errs := runCLI(t, "lease", "set", "--cluster", "web", "--ttl", "5s", "--url", ds[0].url, "--data", first); code != 0 {
		t.Fatalf("lease set: %s", errs)
	}

	const n = 200 // even: renewing, odd: silent
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		tokens[i], _ = registry.NewToken(registry.MemberTokenPrefix)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, _ := client.New(ds[i%3].url, join, nil)
			if _, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%03d", i), MemberToken: tokens[i]}); err != nil {
				t.Errorf("register i-%03d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// The renewing half renews every second through any live daemon.
	stop := make(chan struct{})
	var dead sync.Map // daemon index -> true once killed
	var renewers sync.WaitGroup
	var mu sync.Mutex
	var renewErrs []string
	for i := 0; i < n; i += 2 {
		renewers.Add(1)
		go func(i int) {
			defer renewers.Done()
			id := fmt.Sprintf("i-%03d", i)
			for {
				ok := false
				for attempt := 0; attempt < 30 && !ok; attempt++ {
					k := (i/2 + attempt) % 3
					if _, gone := dead.Load(k); gone {
						continue
					}
					c, _ := client.New(ds[k].url, tokens[i], nil)
					rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
					r, err := c.Renew(rctx, "web", id)
					cancel()
					if err == nil {
						if !r.Renewed {
							mu.Lock()
							renewErrs = append(renewErrs, id+": the registry no longer holds it")
							mu.Unlock()
							return
						}
						ok = true
					} else {
						time.Sleep(100 * time.Millisecond)
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
			}
		}(i)
	}

	// Kill the leader at its first eviction.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(ds[victim].logs(), "action=evict") {
		if time.Now().After(deadline) {
			t.Fatalf("the leader evicted nobody in 30 s:\n%s", ds[victim].logs())
		}
		time.Sleep(2 * time.Millisecond)
	}
	dead.Store(victim, true)
	if err := ds[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ds[victim].done
	t.Logf("killed the leader (daemon %d) after %d eviction lines", victim, strings.Count(ds[victim].logs(), "action=evict"))

	survivor := ds[(victim+1)%3]
	sc, _ := client.New(survivor.url, admin, nil)
	deadline = time.Now().Add(40 * time.Second)
	var ms []registry.Member
	for {
		ms, err = sc.Members(ctx, "web")
		if err == nil && len(ms) == n/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d members 40 s after the kill (err %v), want %d", len(ms), err, n/2)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Two more sweeps' worth of renewals, then stop.
	time.Sleep(2 * time.Second)
	close(stop)
	renewers.Wait()
	for _, e := range renewErrs {
		t.Error(e)
	}
	ms, err = sc.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		var i int
		fmt.Sscanf(m.InstanceID, "i-%03d", &i)
		if i%2 != 0 {
			t.Errorf("silent %s was not evicted", m.InstanceID)
		}
	}
	if len(ms) != n/2 {
		t.Errorf("%d members, want the %d renewing ones", len(ms), n/2)
	}
	evicted := map[string]int{}
	for _, d := range ds {
		for _, m := range evictLineRE.FindAllStringSubmatch(d.logs(), -1) {
			evicted[m[1]]++
		}
	}
	for id, c := range evicted {
		var i int
		fmt.Sscanf(id, "i-%03d", &i)
		if c != 1 || i%2 == 0 {
			t.Errorf("%s: %d eviction lines (renewing: %v)", id, c, i%2 == 0)
		}
	}
	t.Logf("%d eviction lines for %d silent members (a batch the killed leader committed but did not log has none)", len(evicted), n/2)
	if len(evicted) < n/2-5 {
		t.Errorf("only %d eviction lines for %d evictions: more than one batch unlogged", len(evicted), n/2)
	}
}
