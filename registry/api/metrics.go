package api

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/udkit/udkit/registry"
)

// MaxClusterSeries is the default bound of the udkitd_cluster_members
// series: the clusters past the first MaxClusterSeries (by name) are
// summed into one series labelled cluster="_other" (no cluster name
// starts with "_").
const MaxClusterSeries = 1000

// OtherClusters is the cluster label of the series that sums the clusters
// past [MaxClusterSeries].
const OtherClusters = "_other"

// MetricsOptions tune [NewMetrics].
type MetricsOptions struct {
	// ScrapeEvery is how often a scrape asks the database for member
	// counts and dqlite for the Raft role; scrapes in between repeat the
	// last answer, so that a flood of scrapes costs one query per
	// interval. 0 means 5 s.
	ScrapeEvery time.Duration
	// MaxClusterSeries bounds the udkitd_cluster_members series; 0 means
	// [MaxClusterSeries].
	MaxClusterSeries int
	// NoRuntime leaves out the Go runtime (go_*) and process (process_*)
	// metrics.
	NoRuntime bool
}

// Metrics is a registry server's Prometheus instrumentation, on a registry
// of its own (not the global default, so two servers or tests in one
// process do not share counters). Make one with [NewMetrics], hand
// [Metrics.ObserveBatch] to the store (store.Options.OnBatch), give it to
// [NewHandler] with [WithMetrics], and serve [Metrics.Handler] at /metrics.
// Every name starts with udkitd_ and ends with its unit; [MetricNames]
// lists them.
type Metrics struct {
	opt MetricsOptions
	reg *prometheus.Registry

	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	batch      prometheus.Histogram
	reconciled atomic.Int64 // members removed by reconcile through this handler

	attachOnce sync.Once
}

// Metric names, with their help text: the list of docs/registry.md
// "Monitoring" (a test keeps the two in step).
var metricHelp = map[string]string{
	"udkitd_http_requests_total":                "HTTP requests answered, by route pattern, method and status code.",
	"udkitd_http_request_duration_seconds":      "Time to answer an HTTP request, by route pattern.",
	"udkitd_http_requests_shed_total":           "Requests answered 503 at once because the handler's limits were reached, by kind (authenticated, unauthenticated, or watch: a blocking query over the watcher limit).",
	"udkitd_watchers":                           "Blocking queries (watches) waiting on this node now.",
	"udkitd_cluster_members":                    "Members per cluster, read from the database at scrape time (at most 1000 clusters; the rest are summed under cluster=\"_other\").",
	"udkitd_clusters":                           "Clusters that have members or join tokens.",
	"udkitd_evictions_total":                    "Members removed by this node other than by their own deregistration, by reason: expired (lease not renewed) or reconcile.",
	"udkitd_lease_self_preservation":            "1 while lease eviction is paused because too few leased members renewed (self-preservation), else 0.",
	"udkitd_lease_renewals_expected":            "Members of leased clusters as the last sweep left them: the renewals expected in the last window (half the TTL).",
	"udkitd_lease_renewals_received":            "Members of leased clusters that renewed (or registered) in the last window at the last sweep.",
	"udkitd_lease_renewal_threshold_ratio":      "Fraction of expected renewals below which eviction pauses.",
	"udkitd_lease_last_sweep_timestamp_seconds": "Unix time of this node's last lease sweep (0: never; only the Raft leader sweeps).",
	"udkitd_raft_role":                          "1 for this node's Raft role (leader, voter, standby, spare or unknown), 0 for the others.",
	"udkitd_raft_nodes":                         "Nodes of the Raft cluster by role (voter, standby, spare), as the leader reports them.",
	"udkitd_store_batch_size":                   "Operations (registrations, deregistrations, renewals) per group-commit transaction.",
	"udkitd_store_retries_total":                "Database attempts that failed with a transient error and were retried.",
	"udkitd_store_scrape_errors_total":          "Scrapes whose member counts or Raft role could not be read (the series are left out of that scrape).",
	"udkitd_log_lines_suppressed_total":         "Warning and error log lines dropped by the per-message rate limit.",
}

// MetricNames returns the names of the udkitd_* metrics, sorted. The
// registry also serves the standard go_* and process_* collectors unless
// MetricsOptions.NoRuntime.
func MetricNames() []string {
	names := make([]string, 0, len(metricHelp))
	for n := range metricHelp {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// raftRoles are the values of udkitd_raft_role's role label.
var raftRoles = []string{"leader", "voter", "standby", "spare", "unknown"}

// NewMetrics returns the metrics of one server on a private registry.
func NewMetrics(opt MetricsOptions) *Metrics {
	if opt.ScrapeEvery <= 0 {
		opt.ScrapeEvery = 5 * time.Second
	}
	if opt.MaxClusterSeries <= 0 {
		opt.MaxClusterSeries = MaxClusterSeries
	}
	m := &Metrics{opt: opt, reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "udkitd_http_requests_total", Help: metricHelp["udkitd_http_requests_total"],
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "udkitd_http_request_duration_seconds", Help: metricHelp["udkitd_http_request_duration_seconds"],
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route"})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "udkitd_store_batch_size", Help: metricHelp["udkitd_store_batch_size"],
		Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 to 512
	})
	m.reg.MustRegister(m.requests, m.duration, m.batch)
	if !opt.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry returns the private registry the metrics are on, to register
// more collectors or to gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text exposition format:
// at most two scrapes at once, each bounded to 10 s.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		Timeout:             10 * time.Second,
	})
}

// ObserveBatch records the size of one group-commit transaction; give it
// to the store as store.Options.OnBatch.
func (m *Metrics) ObserveBatch(size int) { m.batch.Observe(float64(size)) }

// WithMetrics instruments the handler: every request is counted and timed
// by its route pattern (never the raw path, so the series stay bounded),
// and m gathers, at scrape time, what the handler's store, lease
// evictor ([WithLeaseStatus]) and cluster ([WithClusterInfo]) report.
// Give m to one handler only.
func WithMetrics(m *Metrics) Option {
	return func(h *Handler) { h.metrics = m }
}

// attach registers the collectors that read h's sources at scrape time.
func (m *Metrics) attach(h *Handler) {
	m.attachOnce.Do(func() {
		m.reg.MustRegister(&scrapeCollector{h: h, m: m})
	})
}

// observe records one answered request.
func (m *Metrics) observe(route, method string, code int, d time.Duration) {
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(route, normMethod(method), strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func normMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return m
	}
	return "other"
}

// scrapeCollector reads counts at scrape time: the store's counters and
// the lease evictor's state from memory, member counts and the Raft role
// from the database and dqlite at most once per ScrapeEvery.
type scrapeCollector struct {
	h *Handler
	m *Metrics

	mu       sync.Mutex
	at       time.Time
	clusters []registry.ClusterSummary
	clErr    error
	errors   float64
}

var (
	descShed        = prometheus.NewDesc("udkitd_http_requests_shed_total", metricHelp["udkitd_http_requests_shed_total"], []string{"kind"}, nil)
	descMembers     = prometheus.NewDesc("udkitd_cluster_members", metricHelp["udkitd_cluster_members"], []string{"cluster"}, nil)
	descClusters    = prometheus.NewDesc("udkitd_clusters", metricHelp["udkitd_clusters"], nil, nil)
	descSelfPres    = prometheus.NewDesc("udkitd_lease_self_preservation", metricHelp["udkitd_lease_self_preservation"], nil, nil)
	descExpected    = prometheus.NewDesc("udkitd_lease_renewals_expected", metricHelp["udkitd_lease_renewals_expected"], nil, nil)
	descReceived    = prometheus.NewDesc("udkitd_lease_renewals_received", metricHelp["udkitd_lease_renewals_received"], nil, nil)
	descThreshold   = prometheus.NewDesc("udkitd_lease_renewal_threshold_ratio", metricHelp["udkitd_lease_renewal_threshold_ratio"], nil, nil)
	descLastSweep   = prometheus.NewDesc("udkitd_lease_last_sweep_timestamp_seconds", metricHelp["udkitd_lease_last_sweep_timestamp_seconds"], nil, nil)
	descRole        = prometheus.NewDesc("udkitd_raft_role", metricHelp["udkitd_raft_role"], []string{"role"}, nil)
	descNodes       = prometheus.NewDesc("udkitd_raft_nodes", metricHelp["udkitd_raft_nodes"], []string{"role"}, nil)
	descRetries     = prometheus.NewDesc("udkitd_store_retries_total", metricHelp["udkitd_store_retries_total"], nil, nil)
	descScrapeErr   = prometheus.NewDesc("udkitd_store_scrape_errors_total", metricHelp["udkitd_store_scrape_errors_total"], nil, nil)
	descEvictions   = prometheus.NewDesc("udkitd_evictions_total", metricHelp["udkitd_evictions_total"], []string{"reason"}, nil)
	descSuppressed  = prometheus.NewDesc("udkitd_log_lines_suppressed_total", metricHelp["udkitd_log_lines_suppressed_total"], nil, nil)
	descWatchers    = prometheus.NewDesc("udkitd_watchers", metricHelp["udkitd_watchers"], nil, nil)
	scrapeCollected = []*prometheus.Desc{descShed, descMembers, descClusters, descSelfPres, descExpected, descReceived,
		descThreshold, descLastSweep, descRole, descNodes, descRetries, descScrapeErr, descSuppressed, descEvictions, descWatchers}
)

func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range scrapeCollected {
		ch <- d
	}
}

func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	cnt := h.Counters()
	ch <- prometheus.MustNewConstMetric(descShed, prometheus.CounterValue, float64(cnt.ShedAuthenticated), "authenticated")
	ch <- prometheus.MustNewConstMetric(descShed, prometheus.CounterValue, float64(cnt.ShedUnauthenticated), "unauthenticated")
	ch <- prometheus.MustNewConstMetric(descShed, prometheus.CounterValue, float64(cnt.ShedWatchers), "watch")
	ch <- prometheus.MustNewConstMetric(descSuppressed, prometheus.CounterValue, float64(cnt.LogLinesSuppressed))
	if h.st != nil {
		ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(h.st.Stats().Retries))
		ch <- prometheus.MustNewConstMetric(descWatchers, prometheus.GaugeValue, float64(h.st.Watchers()))
	}
	var expired int64
	if h.leaseState != nil {
		ls := h.leaseState()
		ch <- prometheus.MustNewConstMetric(descSelfPres, prometheus.GaugeValue, b2f(ls.SelfPreservation))
		ch <- prometheus.MustNewConstMetric(descExpected, prometheus.GaugeValue, float64(ls.Leased))
		ch <- prometheus.MustNewConstMetric(descReceived, prometheus.GaugeValue, float64(ls.Fresh))
		ch <- prometheus.MustNewConstMetric(descThreshold, prometheus.GaugeValue, ls.Threshold)
		last := 0.0
		if !ls.LastSweep.IsZero() {
			last = float64(ls.LastSweep.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(descLastSweep, prometheus.GaugeValue, last)
		expired = ls.Evicted
	}
	ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(expired), "expired")
	ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(c.m.reconciled.Load()), "reconcile")

	clusters, clErr, info, infoErr := c.refresh()
	if clErr == nil {
		ch <- prometheus.MustNewConstMetric(descClusters, prometheus.GaugeValue, float64(len(clusters)))
		other, nOther := 0, 0
		for i, cs := range clusters {
			if i < c.m.opt.MaxClusterSeries {
				ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(cs.Members), cs.Cluster)
				continue
			}
			other += cs.Members
			nOther++
		}
		if nOther > 0 {
			ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(other), OtherClusters)
		}
	}
	if h.info.fetch != nil {
		role := "unknown"
		if infoErr == nil {
			role = promRole(info.Role())
		}
		for _, r := range raftRoles {
			ch <- prometheus.MustNewConstMetric(descRole, prometheus.GaugeValue, b2f(r == role), r)
		}
		if infoErr == nil {
			n := map[string]int{"voter": 0, "standby": 0, "spare": 0}
			for _, r := range info.Nodes {
				n[promRole(r)]++
			}
			for _, r := range []string{"voter", "standby", "spare"} {
				ch <- prometheus.MustNewConstMetric(descNodes, prometheus.GaugeValue, float64(n[r]), r)
			}
		}
	}
	c.mu.Lock()
	errs := c.errors
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.CounterValue, errs)
}

// refresh returns the member counts (asked at most once per ScrapeEvery)
// and the cluster information (cached by the handler likewise).
func (c *scrapeCollector) refresh() ([]registry.ClusterSummary, error, ClusterInfo, error) {
	every := c.m.opt.ScrapeEvery
	var info ClusterInfo
	var infoErr error
	if c.h.info.fetch != nil {
		info, infoErr = c.h.info.get(every, 3*time.Second)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || time.Since(c.at) >= every {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.clusters, c.clErr = c.h.st.Clusters(ctx)
		cancel()
		c.at = time.Now()
		if c.clErr != nil {
			c.errors++
		}
		if infoErr != nil {
			c.errors++
		}
	}
	return c.clusters, c.clErr, info, infoErr
}

// promRole maps a dqlite role to a label value without a dash.
func promRole(r string) string {
	switch r {
	case "leader", "voter", "spare":
		return r
	case "stand-by":
		return "standby"
	}
	return "unknown"
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// serveInstrumented serves r and records it by its route pattern: the
// pattern the mux matched, or, for a request shed before routing, the one
// it would have matched ("none" for neither: a path the mux redirects).
func (h *Handler) serveInstrumented(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.serve(sw, r)
	route := r.Pattern
	if route == "" {
		_, route = h.mux.Handler(r)
	}
	if route == "" {
		route = "none"
	}
	if isWatch(r) {
		// A blocking query waits by design: its own series, so that
		// the route's latency stays the latency of plain requests.
		route += "?wait"
	}
	h.metrics.observe(route, r.Method, sw.code, time.Since(start))
}

// statusWriter remembers the status code of an answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes a flush through (a long-poll answer may flush).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.code == 0 {
			w.code = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
