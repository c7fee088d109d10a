package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

var metricsURLRE = regexp.MustCompile(`metrics_url=(\S+)|"metrics_url":"([^"]+)"`)

// metricsURL returns the /metrics URL a daemon logged in its ready line.
func (d *daemon) metricsURL(t testing.TB) string {
	t.Helper()
	m := metricsURLRE.FindStringSubmatch(d.logs())
	if m == nil {
		t.Fatalf("no metrics_url in the ready line:\n%s", d.logs())
	}
	return m[1] + m[2]
}

// scrapeMetrics fetches and parses a daemon's /metrics with Prometheus's
// parser of the text format.
func scrapeMetrics(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// gauge returns the value of the gauge series of name with label k=v
// (k "" for none), and whether there is one.
func gauge(fams map[string]*dto.MetricFamily, name, k, v string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		ok := k == "" && len(m.GetLabel()) == 0
		for _, l := range m.GetLabel() {
			ok = ok || l.GetName() == k && l.GetValue() == v
		}
		if ok {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestStatusCluster runs three udkitd processes as one cluster with
// --metrics, and checks `udkitd status` (text and JSON) and every node's
// /metrics: one leader among the three, the same member counts on all;
// then stops the leader and checks the survivors report the new one.
func TestStatusCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("3-process cluster test skipped in -short mode")
	}
	common := []string{"--http", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--network-latency", "20ms", "--shutdown-timeout", "10s"}
	d1, dq1, first := startFresh(t, freeAddr, func(dq, data string) []string {
		return append([]string{"--data", data, "--dqlite", dq}, common...)
	})
	ds := []*daemon{d1}
	dqs := []string{dq1}
	for i := 0; i < 2; i++ {
		d, dq, _ := startFresh(t, freeAddr, func(dq, data string) []string {
			return append([]string{"--data", data, "--dqlite", dq, "--join", dq1}, common...)
		})
		ds = append(ds, d)
		dqs = append(dqs, dq)
	}
	stopped := map[*daemon]bool{}
	t.Cleanup(func() {
		for _, d := range ds {
			if !stopped[d] {
				d.stop(t)
			}
		}
	})
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", ds[0].url, "--data", first)
	if code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	join := strings.TrimSpace(out)
	jc, _ := client.New(ds[1].url, join, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := runCLI(t, "token", "create", "--cluster", "db", "--url", ds[0].url, "--data", first); code != 0 {
		t.Fatalf("token create db: %s", errs)
	}

	// A joined node has all three voters once the leader promoted them;
	// wait for that (roles are rebalanced in the background).
	var st registry.StatusResponse
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out, errs := runCLI(t, "status", "--json", "--url", ds[2].url, "--data", first)
		if code != 0 {
			t.Fatalf("status --json: exit %d: %s", code, errs)
		}
		st = registry.StatusResponse{}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		voters := 0
		for _, n := range st.Nodes {
			if n.Role == "voter" {
				voters++
			}
		}
		if voters == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 3 voters after 60s: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.Node != dqs[2] || st.Role != "voter" || len(st.Nodes) != 3 {
		t.Errorf("status of node 3: %+v", st)
	}
	leaders := 0
	for i, n := range st.Nodes {
		if n.Address != sortedCopy(dqs)[i] {
			t.Errorf("node %d is %s; want the addresses %v sorted", i, n.Address, sortedCopy(dqs))
		}
		if n.Leader {
			leaders++
			if n.Address != st.Leader {
				t.Errorf("node %s marked leader, but the leader is %s", n.Address, st.Leader)
			}
		}
	}
	if leaders != 1 {
		t.Errorf("%d nodes marked leader, want 1: %+v", leaders, st.Nodes)
	}
	wantClusters := []registry.ClusterSummary{{Cluster: "db", Members: 0}, {Cluster: "web", Members: 5}}
	if fmt.Sprint(st.Clusters) != fmt.Sprint(wantClusters) {
		t.Errorf("clusters %v, want %v", st.Clusters, wantClusters)
	}
	if st.Lease == nil || st.Lease.Threshold != 0.85 {
		t.Errorf("lease state %+v, want the evictor's with threshold 0.85", st.Lease)
	}

	// The text form: every node, the leader marked, the counts.
	code, out, errs = runCLI(t, "status", "--url", ds[0].url, "--data", first)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	for _, want := range []string{"leader: " + st.Leader + "\n", "nodes (3):\n", "clusters (2, 5 members):\n", "  web  5\n", "  db   0\n", "self-preservation off"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	for _, dq := range dqs {
		if !strings.Contains(out, "  "+dq+"  voter") {
			t.Errorf("status lacks node %s as a voter:\n%s", dq, out)
		}
	}
	t.Logf("udkitd status:\n%s", out)

	// Every node's metrics: exactly one says leader, all count 5 in web.
	leaderIdx := -1
	for i, d := range ds {
		fams := scrapeMetrics(t, d.metricsURL(t))
		if v, ok := gauge(fams, "udkitd_cluster_members", "cluster", "web"); !ok || v != 5 {
			t.Errorf("node %d: udkitd_cluster_members{cluster=web} = %v (present %v), want 5", i, v, ok)
		}
		if v, _ := gauge(fams, "udkitd_raft_nodes", "role", "voter"); v != 3 {
			t.Errorf("node %d: udkitd_raft_nodes{role=voter} = %v, want 3", i, v)
		}
		if v, _ := gauge(fams, "udkitd_raft_role", "role", "leader"); v == 1 {
			if leaderIdx >= 0 {
				t.Errorf("nodes %d and %d both report role leader", leaderIdx, i)
			}
			leaderIdx = i
			if dqs[i] != st.Leader {
				t.Errorf("node %d (%s) reports leader; status says %s", i, dqs[i], st.Leader)
			}
		} else if v, _ := gauge(fams, "udkitd_raft_role", "role", "voter"); v != 1 {
			t.Errorf("node %d: neither leader nor voter in udkitd_raft_role", i)
		}
		if fams["udkitd_store_batch_size"] == nil || fams["udkitd_http_requests_total"] == nil {
			t.Errorf("node %d: batch size or request metrics missing", i)
		}
		if v, _ := gauge(fams, "udkitd_lease_self_preservation", "", ""); v != 0 {
			t.Errorf("node %d: self-preservation %v", i, v)
		}
	}
	if leaderIdx < 0 {
		t.Fatal("no node reports role leader in its metrics")
	}
	// /healthz names the leader and the role, without a token.
	h, err := client.New(ds[(leaderIdx+1)%3].url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if hr, err := h.Health(ctx); err != nil || hr.Leader != st.Leader || hr.Role != "voter" {
		t.Errorf("healthz: %+v, %v; want leader %s, role voter", hr, err, st.Leader)
	}

	// The leader stops (handing over); a survivor names the new one.
	ds[leaderIdx].stop(t)
	stopped[ds[leaderIdx]] = true
	survivor := ds[(leaderIdx+1)%3]
	deadline = time.Now().Add(60 * time.Second)
	for {
		code, out, _ := runCLI(t, "status", "--json", "--url", survivor.url, "--data", first)
		var st2 registry.StatusResponse
		if code == 0 && json.Unmarshal([]byte(out), &st2) == nil && st2.Leader != "" && st2.Leader != st.Leader {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new leader in status after 60s: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// formatStatus prints a fixed layout and escapes what it did not make.
func TestFormatStatus(t *testing.T) {
	st := registry.StatusResponse{
		Node: "127.0.0.1:9181", Role: "voter", Leader: "127.0.0.1:9182",
		Nodes: []registry.NodeStatus{
			{Address: "127.0.0.1:9181", Role: "voter"},
			{Address: "127.0.0.1:9182", Role: "voter", Leader: true},
			{Address: "127.0.0.1:9183\x1b[31m", Role: "stand-by"},
		},
		Clusters: []registry.ClusterSummary{{Cluster: "db", Members: 7}, {Cluster: "web-frontend", Members: 1200}},
		Lease:    &registry.LeaseStatus{SelfPreservation: true, Leased: 20, Fresh: 2, Threshold: 0.85, Evicted: 3},
	}
	want := `node:   127.0.0.1:9181 (voter)
leader: 127.0.0.1:9182
nodes (3):
  127.0.0.1:9181          voter
  127.0.0.1:9182          voter     leader
  127.0.0.1:9183\x1b[31m  stand-by
clusters (2, 1207 members):
  db               7
  web-frontend  1200
lease:  self-preservation ON (eviction paused); 2 of 20 leased members renewed in the last window (threshold 0.85)
        evicted 3 by this node; last sweep never on this node
`
	if got := formatStatus(st); got != want {
		t.Errorf("formatStatus:\n%s\nwant:\n%s", got, want)
	}
	if got := formatStatus(registry.StatusResponse{}); !strings.Contains(got, "leader: none known\n") || strings.Contains(got, "lease:") {
		t.Errorf("empty status:\n%s", got)
	}
}

// Usage errors exit 2; a node that cannot be reached exits 2; help exits 0.
func TestStatusFlags(t *testing.T) {
	tok, _ := registry.NewToken(registry.AdminTokenPrefix)
	dir := t.TempDir()
	file := filepath.Join(dir, "admin.token")
	if err := writeSecret(file, tok+"\n"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"help", "status"}, exitOK, "usage: udkitd status"},
		{[]string{"status", "--help"}, exitOK, "-json"},
		{[]string{"status", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"status", "--cluster", "web", "--admin-token-file", file}, exitUsage, "flag provided but not defined: -cluster"},
		{[]string{"status", "--json", "--timeout", "2s", "--url", "http://127.0.0.1:1", "--admin-token-file", file}, exitTrouble, "connection refused"},
		{[]string{"status"}, exitUsage, "--admin-token-file"},
		{[]string{"status", "--url", "http://127.0.0.1:1", "--admin-token-file", file}, exitTrouble, "connection refused"},
		{[]string{"serve", "--data", "x", "--metrics", "nope"}, exitUsage, `--metrics "nope"`},
		{[]string{"help"}, exitOK, "status    print the cluster"},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.out) {
			t.Errorf("udkitd %q: exit %d, out %q, err %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.out)
		}
	}
}
