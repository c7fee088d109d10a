package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// BenchmarkInstrumentation measures what WithMetrics adds to a request:
// GET /healthz (no database) through the handler, without and with
// metrics, and one scrape of a registry with a few clusters.
func BenchmarkInstrumentation(b *testing.B) {
	node := nodetest.Start(b)
	st := openStore(b, node.DB(), store.Options{})
	for _, tc := range []struct {
		name string
		opts []api.Option
	}{
		{"plain", nil},
		{"metrics", []api.Option{api.WithMetrics(api.NewMetrics(api.MetricsOptions{NoRuntime: true}))}},
	} {
		h := api.NewHandler(st, nil, tc.opts...)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest("GET", "/healthz", nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
	b.Run("scrape", func(b *testing.B) {
		m := api.NewMetrics(api.MetricsOptions{NoRuntime: true, ScrapeEvery: 1})
		api.NewHandler(st, nil, api.WithMetrics(m))
		ctx := ctxT(b)
		for _, c := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			if _, err := st.CreateJoinToken(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		mh := m.Handler()
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			mh.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}
