package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/udkit/udkit/registry/api"
)

// A server makes its metrics first, hands the batch hook to the store and
// the metrics to the handler, and serves them at /metrics:
//
//	m := api.NewMetrics(api.MetricsOptions{})
//	st, _ := store.Open(ctx, db, store.Options{OnBatch: m.ObserveBatch})
//	h := api.NewHandler(st, log, api.WithMetrics(m), api.WithLeaseStatus(ev.Status), api.WithClusterInfo(info))
//	http.Handle("/metrics", m.Handler())
//
// Here the store's hook is called by hand.
func ExampleNewMetrics() {
	m := api.NewMetrics(api.MetricsOptions{NoRuntime: true})
	m.ObserveBatch(3) // a group commit of three registrations
	m.ObserveBatch(1)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "udkitd_store_batch_size_") && !strings.Contains(line, "_bucket") {
			fmt.Println(line)
		}
	}
	// Output:
	// udkitd_store_batch_size_sum 4
	// udkitd_store_batch_size_count 2
}
