package api_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/udkit/udkit/registry/store"
)

// BenchmarkStorm measures a launch storm: 1000 instances register
// concurrently over HTTP on loopback, against one node and against a
// 3-node cluster (requests spread over the three servers), with group
// commit and with the one-row-per-transaction baseline (MaxBatch 1).
// One op is one whole storm; reg/s, p50 and p99 are per registration.
//
//	go test -tags libsqlite3 -run '^$' -bench Storm -benchtime 3x ./registry/
func BenchmarkStorm(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		for _, mode := range []struct {
			name     string
			maxBatch int
		}{{"group", 0}, {"baseline", 1}} {
			b.Run(fmt.Sprintf("nodes=%d/%s", nodes, mode.name), func(b *testing.B) {
				opt := store.Options{MaxBatch: mode.maxBatch}
				var urls []string
				var join string
				var stores []*store.Store
				if nodes == 1 {
					svc := newService(b, nil, opt)
					urls, join, stores = []string{svc.Srv.URL}, svc.Join, []*store.Store{svc.Store}
				} else {
					cs := newClusterService(b, opt)
					for _, s := range cs.srvs {
						urls = append(urls, s.URL)
					}
					join, stores = cs.join, cs.stores
				}
				var before store.Stats
				for _, s := range stores {
					st := s.Stats()
					before.Batches += st.Batches
					before.Batched += st.Batched
					before.Retries += st.Retries
				}
				const n = 1000
				b.ReportAllocs()
				b.ResetTimer()
				var all []time.Duration
				var failures int64
				var total time.Duration
				for i := 0; i < b.N; i++ {
					start := time.Now()
					acked, retries, lat := stormPrefixed(b, urls, join, n, fmt.Sprintf("b%d-", i))
					total += time.Since(start)
					failures += retries + int64(n-len(acked))
					all = append(all, lat...)
				}
				b.StopTimer()
				sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
				b.ReportMetric(float64(n*b.N)/total.Seconds(), "reg/s")
				b.ReportMetric(ms(percentile(all, 0.50)), "p50-ms")
				b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
				b.ReportMetric(float64(failures), "errors")
				var after store.Stats
				for _, s := range stores {
					st := s.Stats()
					after.Batches += st.Batches
					after.Batched += st.Batched
					after.Retries += st.Retries
				}
				if n := after.Batches - before.Batches; n > 0 {
					b.ReportMetric(float64(after.Batched-before.Batched)/float64(n), "ops/txn")
				}
				b.ReportMetric(float64(after.Retries-before.Retries)/float64(b.N), "db-retries/storm")
			})
		}
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
