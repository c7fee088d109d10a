package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

// getIndexed sends an admin GET and returns the status, the
// X-Udkit-Index header (-1 when absent) and the decoded body.
func getIndexed(t *testing.T, url, token string, out any) (int, int64) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, -1
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Errorf("GET %s: %v", url, err)
	}
	idx := int64(-1)
	if v := resp.Header.Get(api.IndexHeader); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Errorf("GET %s: %s %q", url, api.IndexHeader, v)
		}
		idx = n
	}
	return resp.StatusCode, idx
}

// TestWatchMembersBlockingQuery: ?index=N answers at once when the
// cluster changed after N, else when it changes, else after the wait,
// with the index in the header and the body.
func TestWatchMembersBlockingQuery(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	base := svc.Srv.URL + "/v1/clusters/web/members"
	var list registry.MembersResponse
	status, hdr := getIndexed(t, base, svc.Admin, &list)
	if status != 200 || hdr <= 0 || uint64(hdr) != list.Index || len(list.Members) != 1 {
		t.Fatalf("plain list: %d, header %d, body %+v", status, hdr, list)
	}
	// Changed after index-1: at once, however long the wait.
	start := time.Now()
	var got registry.MembersResponse
	if status, _ := getIndexed(t, fmt.Sprintf("%s?index=%d&wait=1m", base, list.Index-1), svc.Admin, &got); status != 200 || len(got.Members) != 1 {
		t.Fatalf("index-1: %d %+v", status, got)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("index-1 waited %v", d)
	}
	// Quiet: the wait ends with the same index.
	if status, hdr := getIndexed(t, fmt.Sprintf("%s?index=%d&wait=200ms", base, list.Index), svc.Admin, &got); status != 200 || uint64(hdr) != list.Index || got.Index != list.Index {
		t.Fatalf("quiet wait: %d header %d %+v", status, hdr, got)
	}
	// A change ends the wait.
	done := make(chan registry.MembersResponse, 1)
	go func() {
		var r registry.MembersResponse
		if status, _ := getIndexed(t, fmt.Sprintf("%s?index=%d&wait=60s", base, list.Index), svc.Admin, &r); status != 200 {
			t.Errorf("blocking list: %d", status)
		}
		done <- r
	}()
	for svc.Store.Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Another cluster's change does not end it.
	jt, err := svc.Client.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Client.WithToken(jt.Token).Register(ctx, "db", registry.RegisterRequest{InstanceID: "i-db"}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("another cluster's registration ended the wait: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-2"}); err != nil {
		t.Fatal(err)
	}
	got = <-done
	if len(got.Members) != 2 || got.Index <= list.Index {
		t.Fatalf("woken list: %+v (index was %d)", got, list.Index)
	}
}

// TestWatchChangesAcrossNodes: on a 3-node cluster a watcher on node B
// sees registrations and deregistrations committed through nodes A and C.
func TestWatchChangesAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster test skipped in -short mode")
	}
	cs := newClusterService(t, store.Options{})
	ctx := ctxT(t)
	admB, err := client.New(cs.srvs[1].URL, cs.admin, &http.Client{Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	joinA, _ := client.New(cs.srvs[0].URL, cs.join, nil)
	_, idx, err := admB.MembersAt(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		res registry.ChangesResponse
		err error
	}
	watch := func(after uint64) chan answer {
		ch := make(chan answer, 1)
		go func() {
			r, err := admB.Changes(ctx, "web", after, 30*time.Second)
			ch <- answer{r, err}
		}()
		for cs.stores[1].Watchers() == 0 {
			time.Sleep(time.Millisecond)
		}
		return ch
	}
	w := watch(idx)
	start := time.Now()
	reg, err := joinA.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1", Address: "10.0.0.1:80"})
	if err != nil {
		t.Fatal(err)
	}
	a := <-w
	if a.err != nil || len(a.res.Changes) != 1 || a.res.Changes[0].Kind != registry.ChangeJoined || a.res.Changes[0].InstanceID != "i-1" ||
		a.res.Changes[0].Member == nil || a.res.Changes[0].Member.Address != "10.0.0.1:80" {
		t.Fatalf("watch on B after a registration on A: %+v, %v", a.res, a.err)
	}
	t.Logf("registration on A seen by the watcher on B after %v", time.Since(start))
	w = watch(a.res.Index)
	memberC, _ := client.New(cs.srvs[2].URL, reg.MemberToken, nil)
	if r, err := memberC.Deregister(ctx, "web", "i-1"); err != nil || !r.Deregistered {
		t.Fatal(r, err)
	}
	a = <-w
	if a.err != nil || len(a.res.Changes) != 1 || a.res.Changes[0].Kind != registry.ChangeLeft {
		t.Fatalf("watch on B after a deregistration on C: %+v, %v", a.res, a.err)
	}
	// The blocking member list on B, woken by a registration on A.
	done := make(chan registry.MembersResponse, 1)
	go func() {
		var r registry.MembersResponse
		if status, _ := getIndexed(t, fmt.Sprintf("%s/v1/clusters/web/members?index=%d&wait=30s", cs.srvs[1].URL, a.res.Index), cs.admin, &r); status != 200 {
			t.Errorf("blocking list on B: %d", status)
		}
		done <- r
	}()
	for cs.stores[1].Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := joinA.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-2"}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; len(r.Members) != 1 || r.Members[0].InstanceID != "i-2" || r.Index <= a.res.Index {
		t.Fatalf("blocking list on B after a registration on A: %+v", r)
	}
}

// TestWatchGoneAndBadParameters: an index older than the kept changes is
// 410 with a re-list hint; bad parameters are 400 naming them.
func TestWatchGoneAndBadParameters(t *testing.T) {
	svc := newService(t, nil, store.Options{ChangeWindow: 8, MaxBatch: 1})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	for i := range 20 {
		if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	base := svc.Srv.URL + "/v1/clusters/web/changes"
	status, e, _ := call(t, "GET", base+"?after=1", svc.Admin, "", "")
	if status != 410 || e.Code != registry.CodeGone || !containsAll(e.Message, "re-list", "/v1/clusters/web/members") {
		t.Fatalf("pruned index: %d %+v", status, e)
	}
	status, e, _ = call(t, "GET", base+"?after=999999&wait=1s", svc.Admin, "", "")
	if status != 410 || e.Code != registry.CodeGone {
		t.Fatalf("index from the future: %d %+v", status, e)
	}
	for _, q := range []string{"after=x", "after=-1", "after=1&after=2", "wait=-1s", "wait=soon", "after=19&limit=0", "after=19&limit=1001"} {
		status, e, _ := call(t, "GET", base+"?"+q, svc.Admin, "", "")
		if status != 400 || e.Code != registry.CodeInvalid {
			t.Errorf("?%s: %d %+v, want 400", q, status, e)
		}
	}
	status, e, _ = call(t, "GET", svc.Srv.URL+"/v1/clusters/web/members?index=abc", svc.Admin, "", "")
	if status != 400 || !containsAll(e.Message, "index") {
		t.Errorf("members?index=abc: %d %+v", status, e)
	}
	// A join token may not watch.
	status, _, _ = call(t, "GET", base+"?after=19", svc.Join, "", "")
	if status != 403 {
		t.Errorf("join token: %d, want 403", status)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestWatchLimits: watches take watcher turns, not authenticated ones:
// with one authenticated turn and two watchers waiting, registrations
// and listings go on; a third watcher is refused at once with 503.
func TestWatchLimits(t *testing.T) {
	svc := newService(t, nil, store.Options{}, api.WithLimits(api.Limits{Authenticated: 1, Watchers: 2, Wait: 2 * time.Second}))
	ctx := ctxT(t)
	idx, err := svc.Store.ChangeIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wctx, cancel := context.WithCancel(ctx)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(wctx, "GET", fmt.Sprintf("%s/v1/clusters/web/changes?after=%d&wait=5m", svc.Srv.URL, idx), nil)
			req.Header.Set("Authorization", "Bearer "+svc.Admin)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	for svc.Store.Watchers() < 2 {
		time.Sleep(time.Millisecond)
	}
	status, e, _ := call(t, "GET", fmt.Sprintf("%s/v1/clusters/web/members?index=%d&wait=1m", svc.Srv.URL, idx), svc.Admin, "", "")
	if status != 503 || !containsAll(e.Message, "too many watchers") {
		t.Fatalf("third watcher: %d %+v", status, e)
	}
	if c := svc.Srv.Config.Handler.(*api.Handler).Counters(); c.ShedWatchers != 1 {
		t.Errorf("ShedWatchers %d, want 1", c.ShedWatchers)
	}
	if _, err := svc.Client.WithToken(svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatalf("register while two watchers wait: %v", err)
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 1 {
		t.Fatalf("list while two watchers wait: %v %v", ms, err)
	}
}

// TestWatchOutlivesServerTimeouts: a wait longer than the server's read
// and write timeouts (udkitd: 30 s and 60 s) still answers.
func TestWatchOutlivesServerTimeouts(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: svc.Srv.Config.Handler.(*api.Handler), ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	idx, _ := svc.Store.ChangeIndex(ctxT(t))
	var got registry.ChangesResponse
	start := time.Now()
	status, hdr := getIndexed(t, fmt.Sprintf("http://%s/v1/clusters/web/changes?after=%d&wait=2s", ln.Addr(), idx), svc.Admin, &got)
	if status != 200 || uint64(hdr) != idx || got.Index != idx || len(got.Changes) != 0 {
		t.Fatalf("long wait: %d header %d %+v", status, hdr, got)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("answered after %v, before the wait of 2s", d)
	}
}
