package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

// BenchmarkWatchLatency measures how soon a watcher learns of a
// registration: W watchers block on GET .../changes?after=N&wait=30s
// (the blocking query), then one instance registers over HTTP. On one
// node watchers and registration share the server; on 3 nodes the
// registration goes through node A and the watchers wait on nodes B and
// C, which learn of the commit by polling the change index
// (store.DefaultChangePoll, 100 ms). One op is one registration and
// every watcher's return. Registrations start at a random moment of
// the poll period, as real ones do.
//
// p50-ms and p99-ms run from the registration's acknowledgement (the
// commit, as its client sees it) to each watcher's return, 0 when the
// watcher returned first; start-p99-ms from the registration's start
// (an upper bound: it includes the registration's own latency).
//
//	go test -tags libsqlite3 -run '^$' -bench WatchLatency -benchtime 100x ./registry/api/
func BenchmarkWatchLatency(b *testing.B) {
	for _, tc := range []struct{ nodes, watchers int }{{1, 1}, {1, 100}, {3, 1}, {3, 100}} {
		b.Run(fmt.Sprintf("nodes=%d/watchers=%d", tc.nodes, tc.watchers), func(b *testing.B) {
			var regURL, join, admin string
			var watchURLs []string
			var watchStores []*store.Store
			if tc.nodes == 1 {
				svc := newService(b, nil, store.Options{})
				regURL, join, admin = svc.Srv.URL, svc.Join, svc.Admin
				watchURLs, watchStores = []string{svc.Srv.URL}, []*store.Store{svc.Store}
			} else {
				cs := newClusterService(b, store.Options{})
				regURL, join, admin = cs.srvs[0].URL, cs.join, cs.admin
				watchURLs = []string{cs.srvs[1].URL, cs.srvs[2].URL}
				watchStores = cs.stores[1:]
			}
			ctx := context.Background()
			tr := &http.Transport{MaxIdleConns: 2 * tc.watchers, MaxIdleConnsPerHost: 2 * tc.watchers}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: time.Minute}
			watchers := make([]*client.Client, tc.watchers)
			for i := range watchers {
				c, err := client.New(watchURLs[i%len(watchURLs)], admin, hc)
				if err != nil {
					b.Fatal(err)
				}
				watchers[i] = c
			}
			joiner, err := client.New(regURL, join, hc)
			if err != nil {
				b.Fatal(err)
			}
			_, index, err := watchers[0].MembersAt(ctx, "web")
			if err != nil {
				b.Fatal(err)
			}
			waiting := func() int {
				n := 0
				for _, s := range watchStores {
					n += s.Watchers()
				}
				return n
			}
			var fromAck, fromStart []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				returned := make([]time.Time, tc.watchers)
				var wg sync.WaitGroup
				var failed error
				var mu sync.Mutex
				for w, c := range watchers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := c.Changes(ctx, "web", index, 30*time.Second)
						returned[w] = time.Now()
						if err == nil && len(res.Changes) == 0 {
							err = fmt.Errorf("watcher %d: the wait ended without the change", w)
						}
						if err != nil {
							mu.Lock()
							failed = err
							mu.Unlock()
						}
					}()
				}
				for waiting() < tc.watchers {
					time.Sleep(100 * time.Microsecond)
				}
				// Registrations come at random times, not in step with
				// the poller (whose tick would otherwise come just
				// after each watcher's return, a whole period before
				// the next registration).
				time.Sleep(rand.N(store.DefaultChangePoll))
				b.StartTimer()
				start := time.Now()
				if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%06d", i)}); err != nil {
					b.Fatal(err)
				}
				ack := time.Now()
				wg.Wait()
				b.StopTimer()
				if failed != nil {
					b.Fatal(failed)
				}
				for _, at := range returned {
					fromAck = append(fromAck, max(0, at.Sub(ack)))
					fromStart = append(fromStart, at.Sub(start))
				}
				if idx, err := watchStores[0].ChangeIndex(ctx); err != nil {
					b.Fatal(err)
				} else {
					index = idx
				}
				b.StartTimer()
			}
			b.StopTimer()
			sort.Slice(fromAck, func(i, j int) bool { return fromAck[i] < fromAck[j] })
			sort.Slice(fromStart, func(i, j int) bool { return fromStart[i] < fromStart[j] })
			b.ReportMetric(ms(percentile(fromAck, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(fromAck, 0.99)), "p99-ms")
			b.ReportMetric(ms(percentile(fromStart, 0.99)), "start-p99-ms")
		})
	}
}
