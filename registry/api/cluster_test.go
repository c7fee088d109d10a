package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// clusterService is a registry on a 3-node dqlite cluster: one store and
// one HTTP server per node, as three udkitd daemons would be.
type clusterService struct {
	nodes  []*dqlitenode.Node
	stores []*store.Store
	srvs   []*httptest.Server
	admin  string
	join   string
}

func newClusterService(t testing.TB, opt store.Options) *clusterService {
	t.Helper()
	cs := &clusterService{nodes: nodetest.StartCluster(t, 3)}
	for _, n := range cs.nodes {
		s := openStore(t, n.DB(), opt)
		srv := httptest.NewServer(api.NewHandler(s, nil))
		t.Cleanup(srv.Close)
		cs.stores = append(cs.stores, s)
		cs.srvs = append(cs.srvs, srv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs.admin = mustToken(t, registry.AdminTokenPrefix)
	if err := cs.stores[0].AddAdminToken(ctx, cs.admin); err != nil {
		t.Fatal(err)
	}
	jt, err := cs.stores[1].CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	cs.join = jt.Token
	return cs
}

// storm registers n instances concurrently, instance i first through
// server i%3 and, if that fails for a reason other than a refusal, through
// the next server, as a launch script retries. It calls midway once a fifth
// of the instances have been acknowledged. It returns each acknowledged
// instance's member token and the number of failed attempts.
func storm(t testing.TB, urls []string, join string, n int, midway func()) (acked map[string]string, retries int64, latencies []time.Duration) {
	t.Helper()
	return stormWith(t, urls, join, n, "i-", midway)
}

// stormPrefixed is storm with instance ids that start with prefix, so that
// one store can take several storms.
func stormPrefixed(t testing.TB, urls []string, join string, n int, prefix string) (acked map[string]string, retries int64, latencies []time.Duration) {
	t.Helper()
	return stormWith(t, urls, join, n, prefix, nil)
}

func stormWith(t testing.TB, urls []string, join string, n int, prefix string, midway func()) (acked map[string]string, retries int64, latencies []time.Duration) {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	clients := make([]*client.Client, len(urls))
	for i, u := range urls {
		c, err := client.New(u, join, hc)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		ackCount atomic.Int64
		failed   atomic.Int64
		once     sync.Once
		start    = make(chan struct{})
	)
	acked = make(map[string]string, n)
	latencies = make([]time.Duration, 0, n)
	var hardErrs []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("%s%05d", prefix, i)
			tok, err := registry.NewToken(registry.MemberTokenPrefix)
			if err != nil {
				panic(err)
			}
			req := registry.RegisterRequest{InstanceID: id, Address: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), MemberToken: tok}
			<-start
			began := time.Now()
			var last error
			for attempt := 0; attempt < 6; attempt++ {
				c := clients[(i+attempt)%len(clients)]
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				res, err := c.Register(ctx, "web", req)
				cancel()
				if err == nil {
					if res.MemberToken != tok || res.Member.InstanceID != id {
						err = fmt.Errorf("%s: answer %+v does not match the request", id, res)
						mu.Lock()
						hardErrs = append(hardErrs, err)
						mu.Unlock()
						return
					}
					mu.Lock()
					acked[id] = tok
					latencies = append(latencies, time.Since(began))
					mu.Unlock()
					if ackCount.Add(1) == int64(n/5) && midway != nil {
						once.Do(midway)
					}
					return
				}
				var apiErr *registry.Error
				if errors.As(err, &apiErr) && apiErr.Status < 500 {
					mu.Lock()
					hardErrs = append(hardErrs, fmt.Errorf("%s: refused: %w", id, err))
					mu.Unlock()
					return
				}
				failed.Add(1)
				last = err
				time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
			}
			mu.Lock()
			hardErrs = append(hardErrs, fmt.Errorf("%s: gave up: %w", id, last))
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	for i, err := range hardErrs {
		if i == 10 {
			t.Errorf("... and %d more", len(hardErrs)-10)
			break
		}
		t.Error(err)
	}
	return acked, failed.Load(), latencies
}

func TestClusterLeaderKilledMidStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster test skipped in -short mode")
	}
	cs := newClusterService(t, store.Options{})
	ctx := ctxT(t)
	leader, err := cs.nodes[0].Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	urls := make([]string, len(cs.srvs))
	for i, s := range cs.srvs {
		urls[i] = s.URL
	}
	victim := -1
	var killed time.Time
	const n = 1000
	start := time.Now()
	acked, retries, _ := storm(t, urls, cs.join, n, func() {
		for i, node := range cs.nodes {
			if node.Address() == leader {
				victim = i
				// The whole machine goes: the HTTP server stops
				// answering, the node stops without handover.
				cs.srvs[i].Listener.Close()
				cs.srvs[i].CloseClientConnections()
				node.Kill()
				killed = time.Now()
				t.Logf("killed leader %s (node %d) after %v", leader, i, killed.Sub(start))
			}
		}
	})
	t.Logf("%d acknowledged in %v, %d failed attempts retried elsewhere", len(acked), time.Since(start), retries)
	if victim < 0 {
		t.Fatal("the leader was never killed")
	}
	for i, s := range cs.stores {
		if i != victim {
			st := s.Stats()
			t.Logf("survivor %d: %d operations in %d transactions, %d transient failures retried", i, st.Batched, st.Batches, st.Retries)
		}
	}
	survivor := cs.stores[(victim+1)%3]
	members, err := survivor.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range members {
		seen[m.InstanceID]++
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", id, c)
		}
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("%s was acknowledged but is not registered after the leader was killed", id)
		}
	}
	if len(acked) != n {
		t.Errorf("%d of %d registrations acknowledged (each client retries on the other servers)", len(acked), n)
	}
	if len(members) != len(acked) {
		t.Errorf("%d members listed, %d acknowledged", len(members), len(acked))
	}
	// Writes resume on the new leader: register one more, and
	// deregister an acknowledged member with its own token, through a
	// surviving server.
	c, err := client.New(cs.srvs[(victim+2)%3].URL, cs.join, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-after"}); err != nil {
		t.Fatalf("register after the kill: %v", err)
	}
	if r, err := c.WithToken(acked["i-00007"]).Deregister(ctx, "web", "i-00007"); err != nil || !r.Deregistered {
		t.Fatalf("deregister after the kill: %+v, %v", r, err)
	}
	newLeader, err := cs.nodes[(victim+1)%3].Leader(ctx)
	if err != nil || newLeader == leader {
		t.Fatalf("new leader %q (old %q): %v", newLeader, leader, err)
	}
}
