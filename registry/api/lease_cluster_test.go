package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// TestLeaseLeaderKilledDuringEviction runs a sweep on every node of a
// 3-node cluster at once (stronger than leader-only: the leader check can
// be stale) while the leader is killed and the fresh members keep
// renewing through the surviving nodes: every stale member is evicted
// exactly once, no acknowledged renewal is lost and no fresh member is
// evicted.
//
// The leader goes by handover (a clean shutdown: udkitd's SIGTERM) by
// default. Set UDKIT_LEASE_KILL=1 to kill it instead (no handover, as a
// crash): with libdqlite 1.11 all three nodes share this test process, and
// about one run in three aborts on dqlite's assertion in gateway__resume
// (canonical/dqlite#423) when the killed node had a statement in flight,
// which takes the whole test binary down; separate udkitd processes do not
// share that fate, and cmd/udkitd's TestLeaseLeaderKilledDuringEviction
// kills the leader process with SIGKILL.
func TestLeaseLeaderLostDuringEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster test skipped in -short mode")
	}
	kill := os.Getenv("UDKIT_LEASE_KILL") == "1"
	clock := newFakeClock()
	cs := newClusterService(t, store.Options{Now: clock.Now})
	ctx := ctxT(t)
	if _, err := cs.stores[0].SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 90}); err != nil {
		t.Fatal(err)
	}
	const n = 1200 // the first half goes stale, the second renews
	tokens := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		tokens[i] = mustToken(t, registry.MemberTokenPrefix)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := cs.stores[i%3].Register(ctx, "web", cs.join, registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%05d", i), MemberToken: tokens[i]})
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The evictors run from the start, as udkitd's do: a member is only
	// evicted a TTL after its evictor began to lead (SweepOptions.Since).
	logs := make([]*syncBuffer, 3)
	evs := make([]*store.Evictor, 3)
	for i := range cs.stores {
		logs[i] = &syncBuffer{}
		evs[i] = &store.Evictor{
			Store: cs.stores[i],
			// Everything is stale or fresh by now; a threshold low
			// enough that half the members being stale evicts.
			Options: store.SweepOptions{Batch: 40, Threshold: 0.4},
			Log:     slog.New(slog.NewJSONHandler(logs[i], nil)),
		}
	}
	for i := range evs {
		if res, err := evs[i].Sweep(ctx); err != nil || len(res.Evicted) != 0 {
			t.Fatalf("first sweep: %v, %v", res, err)
		}
	}
	// 91 s later only the second half has renewed.
	clock.Advance(60 * time.Second)
	renewAll := func(stores []*store.Store) (acked int64) {
		var wg sync.WaitGroup
		var a atomic.Int64
		for i := n / 2; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for attempt := 0; attempt < len(stores)*3; attempt++ {
					r, err := stores[(i+attempt)%len(stores)].Renew(ctx, "web", fmt.Sprintf("i-%05d", i), tokens[i])
					if err == nil {
						if !r.Renewed {
							t.Errorf("i-%05d: renewal answered not renewed", i)
						}
						a.Add(1)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				t.Errorf("i-%05d: no renewal went through", i)
			}(i)
		}
		wg.Wait()
		return a.Load()
	}
	if got := renewAll(cs.stores); got != n/2 {
		t.Fatalf("%d renewals acknowledged", got)
	}
	clock.Advance(31 * time.Second)

	leader, err := cs.nodes[0].Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := -1
	for i, nd := range cs.nodes {
		if nd.Address() == leader {
			victim = i
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	var sweeps sync.WaitGroup
	evicted := make([][]store.Evicted, 3)
	for i := range evs {
		sweeps.Add(1)
		go func(i int) {
			defer sweeps.Done()
			for sctx.Err() == nil {
				res, err := evs[i].Sweep(sctx)
				evicted[i] = append(evicted[i], res.Evicted...)
				if err != nil {
					if i == victim {
						return // its node is gone
					}
					continue
				}
				if len(res.Evicted) == 0 {
					return
				}
			}
		}(i)
	}
	// Kill the leader once eviction is under way, while the fresh half
	// renews again through the survivors.
	deadline := time.Now().Add(20 * time.Second)
	watch := cs.nodes[(victim+1)%3].DB()
	for {
		var left int
		if err := watch.QueryRowContext(ctx, `SELECT COUNT(*) FROM members`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left < n {
			t.Logf("eviction under way: %d members left", left)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no eviction started")
		}
		time.Sleep(time.Millisecond)
	}
	cs.srvs[victim].Listener.Close()
	cs.srvs[victim].CloseClientConnections()
	if kill {
		cs.nodes[victim].Kill()
	} else {
		hctx, hcancel := context.WithTimeout(ctx, 30*time.Second)
		if err := cs.nodes[victim].Close(hctx); err != nil {
			t.Logf("handover: %v", err)
		}
		hcancel()
	}
	t.Logf("kill=%v: lost leader %s (node %d) after %d evictions", kill, leader, victim, evs[0].Status().Evicted+evs[1].Status().Evicted+evs[2].Status().Evicted)
	var survivors []*store.Store
	for i, s := range cs.stores {
		if i != victim {
			survivors = append(survivors, s)
		}
	}
	if got := renewAll(survivors); got != n/2 {
		t.Errorf("%d of %d renewals acknowledged after the kill", got, n/2)
	}
	sweeps.Wait()
	// A last sweep on a survivor finishes whatever the kill interrupted.
	res, err := evs[(victim+1)%3].Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evicted[(victim+1)%3] = append(evicted[(victim+1)%3], res.Evicted...)

	seen := map[string]int{}
	for _, es := range evicted {
		for _, e := range es {
			seen[e.InstanceID]++
		}
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s evicted %d times", id, c)
		}
	}
	ms, err := survivors[0].Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != n/2 {
		t.Errorf("%d members left, want the %d that renewed", len(ms), n/2)
	}
	for _, m := range ms {
		var i int
		fmt.Sscanf(m.InstanceID, "i-%05d", &i)
		if i < n/2 {
			t.Errorf("stale %s was not evicted", m.InstanceID)
		}
	}
	// Every stale member gone, and reported once; the victim's audit
	// lines may miss evictions whose commit it never saw acknowledged.
	if len(seen) < n/2-40 || len(seen) > n/2 {
		t.Errorf("%d evictions reported, want %d (less at most one batch lost with the leader)", len(seen), n/2)
	}
	audits := 0
	for _, l := range logs {
		audits += strings.Count(l.String(), `"action":"evict"`)
	}
	if audits != len(seen) {
		t.Errorf("%d audit lines for %d evictions", audits, len(seen))
	}
	t.Logf("evictions by node: %d %d %d", len(evicted[0]), len(evicted[1]), len(evicted[2]))
}
