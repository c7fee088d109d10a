package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

// BenchmarkRenewals measures lease renewals over HTTP on loopback: a
// cluster of 10,000 members (leased, TTL 90 s) all renew once, 500 at a
// time at most, against one node and against a 3-node cluster (requests
// spread over the three servers). A fleet of 10,000 renewing every 30 s
// needs 333 renewals/s. One op is one round of 10,000 renewals; renew/s,
// p50 and p99 are per renewal; ops/txn is the group commit's batch size.
//
//	go test -tags libsqlite3 -run '^$' -bench 'Renewals//burst' -benchtime 3x ./registry/api/
//	go test -tags libsqlite3 -run '^$' -bench 'Renewals//paced' -benchtime 1x ./registry/api/
//
// The paced variants send the same 10,000 renewals at 333 a second, as the
// fleet would (a round then takes 30 s): p99 is the latency a renewing
// instance sees in steady state.
func BenchmarkRenewals(b *testing.B) {
	for _, tc := range []struct {
		nodes int
		pace  time.Duration // between renewals; 0: as fast as 500 at a time go
	}{{1, 0}, {3, 0}, {1, 3 * time.Millisecond}, {3, 3 * time.Millisecond}} {
		nodes := tc.nodes
		name := fmt.Sprintf("nodes=%d/burst", nodes)
		if tc.pace > 0 {
			name = fmt.Sprintf("nodes=%d/paced-333", nodes)
		}
		b.Run(name, func(b *testing.B) {
			var urls []string
			var join string
			var stores []*store.Store
			if nodes == 1 {
				svc := newService(b, nil, store.Options{})
				urls, join, stores = []string{svc.Srv.URL}, svc.Join, []*store.Store{svc.Store}
			} else {
				cs := newClusterService(b, store.Options{})
				for _, s := range cs.srvs {
					urls = append(urls, s.URL)
				}
				join, stores = cs.join, cs.stores
			}
			ctx := context.Background()
			if _, err := stores[0].SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 90}); err != nil {
				b.Fatal(err)
			}
			const n, conc = 10000, 500
			ids := make([]string, n)
			toks := make([]string, n)
			sem := make(chan struct{}, conc)
			var wg sync.WaitGroup
			var regErr atomic.Value
			for i := range n {
				ids[i] = fmt.Sprintf("i-%05d", i)
				toks[i] = mustToken(b, registry.MemberTokenPrefix)
				wg.Add(1)
				sem <- struct{}{}
				go func(i int) {
					defer func() { <-sem; wg.Done() }()
					if _, err := stores[i%len(stores)].Register(ctx, "web", join, registry.RegisterRequest{InstanceID: ids[i], MemberToken: toks[i]}); err != nil {
						regErr.Store(err)
					}
				}(i)
			}
			wg.Wait()
			if err, _ := regErr.Load().(error); err != nil {
				b.Fatal(err)
			}
			tr := &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			clients := make([]*client.Client, len(urls))
			for i, u := range urls {
				c, err := client.New(u, "", hc)
				if err != nil {
					b.Fatal(err)
				}
				clients[i] = c
			}
			statsSum := func() (s store.Stats) {
				for _, st := range stores {
					x := st.Stats()
					s.Batches += x.Batches
					s.Batched += x.Batched
					s.Retries += x.Retries
				}
				return s
			}
			before := statsSum()
			var all []time.Duration
			var mu sync.Mutex
			var failures atomic.Int64
			var total time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				var tick *time.Ticker
				if tc.pace > 0 {
					tick = time.NewTicker(tc.pace)
				}
				for i := range n {
					if tick != nil {
						<-tick.C
					}
					wg.Add(1)
					sem <- struct{}{}
					go func(i int) {
						defer func() { <-sem; wg.Done() }()
						t0 := time.Now()
						r, err := clients[i%len(clients)].WithToken(toks[i]).Renew(ctx, "web", ids[i])
						d := time.Since(t0)
						if err != nil || !r.Renewed {
							failures.Add(1)
							return
						}
						mu.Lock()
						all = append(all, d)
						mu.Unlock()
					}(i)
				}
				wg.Wait()
				if tick != nil {
					tick.Stop()
				}
				total += time.Since(start)
			}
			b.StopTimer()
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "renew/s")
			b.ReportMetric(ms(percentile(all, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
			b.ReportMetric(float64(failures.Load()), "errors")
			after := statsSum()
			if k := after.Batches - before.Batches; k > 0 {
				b.ReportMetric(float64(after.Batched-before.Batched)/float64(k), "ops/txn")
			}
			b.ReportMetric(float64(after.Retries-before.Retries)/float64(b.N), "db-retries/round")
		})
	}
}
