package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// metricsFixture is a real dqlite node with the API instrumented as
// udkitd wires it: the store's batch hook, the lease evictor's status,
// the node's cluster information, and /metrics served from the private
// registry over HTTP.
type metricsFixture struct {
	svc     *service
	node    *dqlitenode.Node
	m       *api.Metrics
	ev      *store.Evictor
	clock   *fakeClock
	metrics *httptest.Server
}

func nodeInfo(n *dqlitenode.Node) func(context.Context) (api.ClusterInfo, error) {
	return func(ctx context.Context) (api.ClusterInfo, error) {
		leader, err := n.Leader(ctx)
		if err != nil {
			return api.ClusterInfo{}, err
		}
		nodes, err := n.Cluster(ctx)
		if err != nil {
			return api.ClusterInfo{}, err
		}
		return api.ClusterInfo{Self: n.Address(), Leader: leader, Nodes: nodes}, nil
	}
}

func newMetricsFixture(t *testing.T, mopt api.MetricsOptions) *metricsFixture {
	t.Helper()
	if mopt.ScrapeEvery == 0 {
		mopt.ScrapeEvery = time.Nanosecond // every scrape asks: tests see changes at once
	}
	f := &metricsFixture{node: nodetest.Start(t), m: api.NewMetrics(mopt), clock: newFakeClock()}
	f.ev = &store.Evictor{}
	f.svc = newService(t, f.node.DB(), store.Options{Now: f.clock.Now, OnBatch: f.m.ObserveBatch},
		api.WithMetrics(f.m), api.WithLeaseStatus(f.ev.Status), api.WithClusterInfo(nodeInfo(f.node)),
		api.WithLimits(api.Limits{ReadyEvery: time.Nanosecond}))
	f.ev.Store = f.svc.Store
	// The evictor runs from the start, as udkitd's does.
	if _, err := f.ev.Sweep(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	f.metrics = httptest.NewServer(f.m.Handler())
	t.Cleanup(f.metrics.Close)
	return f
}

// scrape fetches /metrics and parses it with Prometheus's own parser of
// the text format (legacy name validation: every name must be a classic
// metric name).
func (f *metricsFixture) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(f.metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", res.Status)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text format 0.0.4", ct)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels are
// exactly labels ("k=v" pairs), failing when there is none.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := lookup(fams, name, labels...)
	if !ok {
		t.Fatalf("no series %s%v in the scrape", name, labels)
	}
	return v
}

func lookup(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
	want := append([]string(nil), labels...)
	sort.Strings(want)
	for _, m := range fam.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(got)
		if !cmp.Equal(got, want, cmpEmpty) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") })

// TestMetricsExposition drives a real registry and reads /metrics the way
// Prometheus does: requests counted by route pattern (never the raw path),
// member counts, the Raft role, group-commit batches, reconcile removals.
func TestMetricsExposition(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{})
	ctx := ctxT(t)
	jc := f.svc.Client.WithToken(f.svc.Join)
	for i := 0; i < 3; i++ {
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	dbJoin, err := f.svc.Client.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Client.WithToken(dbJoin.Token).Register(ctx, "db", registry.RegisterRequest{InstanceID: "db-1"}); err != nil {
		t.Fatal(err)
	}
	removed, err := f.svc.Client.Reconcile(ctx, "web", registry.ReconcileRequest{Live: []string{"i-0", "i-1"}, RegisteredBefore: f.clock.Now().Add(time.Second)})
	if err != nil || len(removed) != 1 {
		t.Fatalf("reconcile: %v, %v", removed, err)
	}
	// Raw paths with made-up parts all land on their pattern.
	for _, p := range []string{"/nope/i-secret-1", "/nope/i-secret-2", "/v1/clusters/web/members/i-x/bogus"} {
		if code, _, _ := call(t, "GET", f.svc.Srv.URL+p, "", "", ""); code != 404 {
			t.Fatalf("GET %s: %d, want 404", p, code)
		}
	}
	if code, _, _ := call(t, "GET", f.svc.Srv.URL+"/v1/clusters", "", "", ""); code != 401 {
		t.Fatalf("GET /v1/clusters without a token: %d, want 401", code)
	}
	// A blocking query (the index is already passed: it returns at once)
	// has its own series, so that waits stay out of the route's latency.
	if code, _, _ := call(t, "GET", f.svc.Srv.URL+"/v1/clusters/web/members?index=1&wait=1s", f.svc.Admin, "", ""); code != 200 {
		t.Fatalf("blocking GET members: %d, want 200", code)
	}

	fams := f.scrape(t)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"udkitd_http_requests_total", []string{"route=/v1/clusters/{cluster}/members", "method=POST", "code=201"}, 4},
		{"udkitd_http_requests_total", []string{"route=/v1/clusters/{cluster}/reconcile", "method=POST", "code=200"}, 1},
		{"udkitd_http_requests_total", []string{"route=/v1/clusters", "method=GET", "code=401"}, 1},
		{"udkitd_http_request_duration_seconds", []string{"route=/v1/clusters/{cluster}/members"}, 4},
		{"udkitd_http_requests_total", []string{"route=/v1/clusters/{cluster}/members?wait", "method=GET", "code=200"}, 1},
		{"udkitd_http_request_duration_seconds", []string{"route=/v1/clusters/{cluster}/members?wait"}, 1},
		{"udkitd_cluster_members", []string{"cluster=web"}, 2},
		{"udkitd_cluster_members", []string{"cluster=db"}, 1},
		{"udkitd_clusters", nil, 2},
		{"udkitd_evictions_total", []string{"reason=reconcile"}, 1},
		{"udkitd_evictions_total", []string{"reason=expired"}, 0},
		{"udkitd_raft_role", []string{"role=leader"}, 1},
		{"udkitd_raft_role", []string{"role=voter"}, 0},
		{"udkitd_raft_role", []string{"role=unknown"}, 0},
		{"udkitd_raft_nodes", []string{"role=voter"}, 1},
		{"udkitd_lease_self_preservation", nil, 0},
		{"udkitd_store_retries_total", nil, 0},
	} {
		got, ok := lookup(fams, tc.name, tc.labels...)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	// The made-up path "i-x/bogus" matched the catch-all, not a member
	// route: 3 requests on "/" in all (2 + 1).
	if got := value(t, fams, "udkitd_http_requests_total", "route=/", "method=GET", "code=404"); got != 3 {
		t.Errorf("requests on the catch-all route: %v, want 3", got)
	}
	// Bounded cardinality: no label value is a raw path or an id.
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "i-") || strings.Contains(l.GetValue(), "secret") || strings.Contains(l.GetValue(), "/web/") {
					t.Errorf("%s has label %s=%q: a raw path or id leaked into a label", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	// Group commit: the registrations went through the batch hook.
	if n := value(t, fams, "udkitd_store_batch_size"); n < 1 {
		t.Errorf("udkitd_store_batch_size has %v observations, want at least 1", n)
	}
	if fams["udkitd_store_batch_size"].GetType() != dto.MetricType_HISTOGRAM || fams["udkitd_http_request_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("batch size and request duration must be histograms")
	}
	// The library's own lint of names, units and help texts.
	problems, err := testutil.GatherAndLint(f.m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "udkitd_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// TestMetricsLease: the lease evictor's state and its evictions show in
// the metrics: self-preservation during a partition, then an expiry.
func TestMetricsLease(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{NoRuntime: true})
	ctx := ctxT(t)
	if _, err := f.svc.Client.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 90}); err != nil {
		t.Fatal(err)
	}
	jc := f.svc.Client.WithToken(f.svc.Join)
	toks := map[string]string{}
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("i-%d", i)
		toks[id] = mustToken(t, registry.MemberTokenPrefix)
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, MemberToken: toks[id]}); err != nil {
			t.Fatal(err)
		}
	}
	// Nobody renews for 91 s: a partition, not ten dead instances.
	f.clock.Advance(91 * time.Second)
	if res, err := f.ev.Sweep(ctx); err != nil || !res.SelfPreservation || len(res.Evicted) != 0 {
		t.Fatalf("sweep: %+v, %v; want self-preservation", res, err)
	}
	fams := f.scrape(t)
	if value(t, fams, "udkitd_lease_self_preservation") != 1 || value(t, fams, "udkitd_lease_renewals_expected") != 10 ||
		value(t, fams, "udkitd_lease_renewals_received") != 0 || value(t, fams, "udkitd_lease_renewal_threshold_ratio") != 0.85 {
		t.Errorf("during the partition: self_preservation %v expected %v received %v threshold %v; want 1 10 0 0.85",
			value(t, fams, "udkitd_lease_self_preservation"), value(t, fams, "udkitd_lease_renewals_expected"),
			value(t, fams, "udkitd_lease_renewals_received"), value(t, fams, "udkitd_lease_renewal_threshold_ratio"))
	}
	// Nine come back; i-0 stays silent and is evicted.
	for i := 1; i < 10; i++ {
		id := fmt.Sprintf("i-%d", i)
		if _, err := f.svc.Client.WithToken(toks[id]).Renew(ctx, "web", id); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := f.ev.Sweep(ctx); err != nil || res.SelfPreservation || len(res.Evicted) != 1 {
		t.Fatalf("sweep: %+v, %v; want i-0 evicted", res, err)
	}
	fams = f.scrape(t)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"udkitd_lease_self_preservation", nil, 0},
		// As the sweep left them: i-0 is gone.
		{"udkitd_lease_renewals_expected", nil, 9},
		{"udkitd_lease_renewals_received", nil, 9},
		{"udkitd_evictions_total", []string{"reason=expired"}, 1},
		{"udkitd_cluster_members", []string{"cluster=web"}, 9},
		{"udkitd_http_requests_total", []string{"route=/v1/clusters/{cluster}/members/{instance}/renew", "method=POST", "code=200"}, 9},
	} {
		if got := value(t, fams, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if v := value(t, fams, "udkitd_lease_last_sweep_timestamp_seconds"); v != float64(f.clock.Now().Unix()) {
		t.Errorf("last sweep %v, want %v", v, f.clock.Now().Unix())
	}
	if _, ok := fams["go_goroutines"]; ok {
		t.Errorf("NoRuntime: go_* metrics present")
	}
}

// TestMetricsClusterSeriesBounded: clusters past the bound are summed
// into one series, so that a registry with very many clusters does not
// make a scrape (or Prometheus) grow with them.
func TestMetricsClusterSeriesBounded(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{MaxClusterSeries: 3, NoRuntime: true})
	ctx := ctxT(t)
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		jt, err := f.svc.Client.CreateJoinToken(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(c)+int(c[0]-'a'); i++ {
			if _, err := f.svc.Client.WithToken(jt.Token).Register(ctx, c, registry.RegisterRequest{InstanceID: fmt.Sprintf("%s-%d", c, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// a:1 b:2 c:3 d:4 e:5, web:0 (its join token); sorted a b c d e web.
	want := `# HELP udkitd_cluster_members Members per cluster, read from the database at scrape time (at most 1000 clusters; the rest are summed under cluster="_other").
# TYPE udkitd_cluster_members gauge
udkitd_cluster_members{cluster="_other"} 9
udkitd_cluster_members{cluster="a"} 1
udkitd_cluster_members{cluster="b"} 2
udkitd_cluster_members{cluster="c"} 3
# HELP udkitd_clusters Clusters that have members or join tokens.
# TYPE udkitd_clusters gauge
udkitd_clusters 6
`
	if err := testutil.ScrapeAndCompare(f.metrics.URL, strings.NewReader(want), "udkitd_cluster_members", "udkitd_clusters"); err != nil {
		t.Error(err)
	}
}

// TestMetricsScrapeCache: scrapes within ScrapeEvery repeat the last
// member counts instead of asking the database again.
func TestMetricsScrapeCache(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{ScrapeEvery: time.Hour, NoRuntime: true})
	ctx := ctxT(t)
	if v := value(t, f.scrape(t), "udkitd_cluster_members", "cluster=web"); v != 0 {
		t.Fatalf("web: %v members, want 0", v)
	}
	if _, err := f.svc.Client.WithToken(f.svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	if v := value(t, f.scrape(t), "udkitd_cluster_members", "cluster=web"); v != 0 {
		t.Fatalf("web: %v members within the cache interval, want the cached 0", v)
	}
}

// TestMetricNamesMatchRegistry: MetricNames lists exactly the udkitd_*
// families a fully wired registry serves.
func TestMetricNamesMatchRegistry(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{})
	// One request, so that the vectors have a series.
	if _, err := f.svc.Client.Clusters(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	fams := f.scrape(t)
	var served []string
	for name := range fams {
		if strings.HasPrefix(name, "udkitd_") {
			served = append(served, name)
		}
	}
	sort.Strings(served)
	if diff := cmp.Diff(api.MetricNames(), served); diff != "" {
		t.Errorf("api.MetricNames() and the families served differ (-names +served):\n%s", diff)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Errorf("no go_goroutines: the runtime collectors are missing")
	}
}

// TestMonitoringDocListsEveryMetric keeps docs/registry.md's "Monitoring"
// section in step with the registry: every metric is documented, and the
// section names no metric that does not exist.
func TestMonitoringDocListsEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../../docs/registry.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "\n### Monitoring\n")
	if start < 0 {
		t.Fatal(`docs/registry.md has no "### Monitoring" section`)
	}
	sec := doc[start+1:]
	// The section ends at the next heading of its level or above.
	if end := regexp.MustCompile(`\n#{1,3} `).FindStringIndex(sec[4:]); end != nil {
		sec = sec[:end[0]+4]
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`(udkitd_[a-z_]+)").FindAllStringSubmatch(sec, -1) {
		documented[m[1]] = true
	}
	names := map[string]bool{}
	for _, n := range api.MetricNames() {
		names[n] = true
		if !documented[n] {
			t.Errorf("metric %s is not in docs/registry.md's Monitoring section; add it to the list", n)
		}
	}
	for n := range documented {
		if !names[n] {
			t.Errorf("docs/registry.md's Monitoring section names %s, which the registry does not serve", n)
		}
	}
}

// TestStatusEndpoint: GET /v1/status is admin-only and reports the node,
// its role, the leader, the nodes and the member counts.
func TestStatusEndpoint(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{NoRuntime: true})
	ctx := ctxT(t)
	if _, err := f.svc.Client.WithToken(f.svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", f.svc.Join} {
		code, e, _ := call(t, "GET", f.svc.Srv.URL+"/v1/status", tok, "", "")
		if code != 401 && code != 403 {
			t.Errorf("GET /v1/status with token %q: %d %+v, want 401 or 403", tok, code, e)
		}
	}
	st, err := f.svc.Client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addr := f.node.Address()
	want := registry.StatusResponse{
		Node: addr, Role: "voter", Leader: addr,
		Nodes:    []registry.NodeStatus{{Address: addr, Role: "voter", Leader: true}},
		Clusters: []registry.ClusterSummary{{Cluster: "web", Members: 1}},
		// The fixture's evictor swept once as it started.
		Lease: &registry.LeaseStatus{Threshold: 0.85, Leader: true, LastSweep: f.clock.Now().UTC()},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	// /healthz names the leader and the role too.
	h, err := f.svc.Client.Health(ctx)
	if err != nil || h.Status != "ok" || h.Leader != addr || h.Role != "voter" {
		t.Errorf("healthz: %+v, %v; want ok, leader %s, role voter", h, err, addr)
	}
}

// Without WithClusterInfo, /v1/status says what is missing and /healthz
// stays as it was.
func TestStatusWithoutClusterInfo(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	code, e, _ := call(t, "GET", svc.Srv.URL+"/v1/status", svc.Admin, "", "")
	if code != 404 || !strings.Contains(e.Message, "WithClusterInfo") {
		t.Errorf("status without cluster info: %d %+v", code, e)
	}
	h, err := svc.Client.Health(ctxT(t))
	if err != nil || h.Status != "ok" || h.Leader != "" || h.Role != "" {
		t.Errorf("healthz: %+v, %v", h, err)
	}
}

// TestHealthzDoesNotWaitOnClusterInfo: liveness answers 200 while the
// node's cluster information does not come (dqlite stuck), without leader
// and role, and names them once the answer arrives.
func TestHealthzDoesNotWaitOnClusterInfo(t *testing.T) {
	release := make(chan struct{})
	var running, most atomic.Int64
	info := func(ctx context.Context) (api.ClusterInfo, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-release:
			return api.ClusterInfo{Self: "127.0.0.1:1", Leader: "127.0.0.1:1", Nodes: map[string]string{"127.0.0.1:1": "voter"}}, nil
		case <-ctx.Done():
			return api.ClusterInfo{}, ctx.Err()
		}
	}
	svc := newService(t, nil, store.Options{}, api.WithClusterInfo(info), api.WithLimits(api.Limits{ReadyEvery: time.Hour}))
	ctx := ctxT(t)
	for i := 0; i < 3; i++ {
		h, err := svc.Client.Health(ctx)
		if err != nil || h.Status != "ok" || h.Leader != "" || h.Role != "" {
			t.Fatalf("healthz %d while the cluster information hangs: %+v, %v", i, h, err)
		}
	}
	if n := most.Load(); n != 1 {
		t.Errorf("%d cluster information requests at once, want 1 (one refresh at a time)", n)
	}
	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := svc.Client.Health(ctx)
		if err == nil && h.Role == "voter" && h.Leader == "127.0.0.1:1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never named the leader: %+v, %v", h, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsShedRequests: a request shed by the limits before routing is
// still counted under its route pattern, and in the shed counter.
func TestMetricsShedRequests(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	info := func(ctx context.Context) (api.ClusterInfo, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return api.ClusterInfo{}, errors.New("stuck")
	}
	m := api.NewMetrics(api.MetricsOptions{NoRuntime: true})
	svc := newService(t, nil, store.Options{}, api.WithMetrics(m), api.WithClusterInfo(info),
		api.WithLimits(api.Limits{Unauthenticated: 1}))
	first := make(chan int)
	go func() {
		code, _, _ := call(t, "GET", svc.Srv.URL+"/healthz", "", "", "")
		first <- code
	}()
	<-entered // the first probe holds the only unauthenticated turn
	code, _, _ := call(t, "GET", svc.Srv.URL+"/healthz", "", "", "")
	if code != 503 {
		t.Fatalf("second probe: %d, want 503 (shed)", code)
	}
	if code := <-first; code != 200 {
		t.Fatalf("first probe: %d", code)
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	f := &metricsFixture{metrics: srv}
	fams := f.scrape(t)
	if v := value(t, fams, "udkitd_http_requests_total", "route=/healthz", "method=GET", "code=503"); v != 1 {
		t.Errorf("shed /healthz counted %v times, want 1", v)
	}
	if v := value(t, fams, "udkitd_http_requests_shed_total", "kind=unauthenticated"); v != 1 {
		t.Errorf("udkitd_http_requests_shed_total{kind=unauthenticated} = %v, want 1", v)
	}
}

// TestMetricsWatchers: a blocking query waiting on the node shows in
// udkitd_watchers, and is gone from it once it returns.
func TestMetricsWatchers(t *testing.T) {
	f := newMetricsFixture(t, api.MetricsOptions{NoRuntime: true})
	if _, err := f.svc.Client.WithToken(f.svc.Join).Register(ctxT(t), "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	_, index, err := f.svc.Client.MembersAt(ctxT(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The registry's current index: the query waits for the next change.
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/clusters/web/members?index=%d&wait=30s", f.svc.Srv.URL, index), nil)
		req.Header.Set("Authorization", "Bearer "+f.svc.Admin)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for f.svc.Store.Watchers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the blocking query never waited")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := value(t, f.scrape(t), "udkitd_watchers"); got != 1 {
		t.Errorf("udkitd_watchers = %v while one watch waits, want 1", got)
	}
	cancel()
	<-done
	for f.svc.Store.Watchers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watch never left")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fams := f.scrape(t)
	if got := value(t, fams, "udkitd_watchers"); got != 0 {
		t.Errorf("udkitd_watchers = %v after the watch returned, want 0", got)
	}
	if got, ok := lookup(fams, "udkitd_http_requests_shed_total", "kind=watch"); !ok || got != 0 {
		t.Errorf("udkitd_http_requests_shed_total{kind=watch} = %v (present %v), want 0", got, ok)
	}
}
