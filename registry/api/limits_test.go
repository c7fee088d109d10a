package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// TestUnauthenticatedRequestsShed: with every unauthenticated turn taken
// (here by a readiness probe held on purpose), another unauthenticated
// request is answered 503 with Retry-After at once, and counted; an
// authenticated one still goes through.
func TestUnauthenticatedRequestsShed(t *testing.T) {
	st := openStore(t, nodetest.Start(t).DB(), store.Options{})
	hold := make(chan struct{})
	held := make(chan struct{})
	h := api.NewHandler(st, nil, api.WithLimits(api.Limits{Unauthenticated: 1}),
		api.WithReadiness(func(ctx context.Context) (string, string, error) {
			close(held)
			<-hold
			return "127.0.0.1:9180", "voter", nil
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	admin := mustToken(t, registry.AdminTokenPrefix)
	if err := st.AddAdminToken(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-held
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("healthz while the unauthenticated turn is taken: %d, Retry-After %q; want 503, 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, _, body := call(t, "GET", srv.URL+"/v1/clusters", admin, "", ""); status != 200 {
		t.Fatalf("an admin request meanwhile: %d %s", status, body)
	}
	close(hold)
	if s := <-done; s != 200 {
		t.Fatalf("the held readiness probe: %d", s)
	}
	if c := h.Counters(); c.ShedUnauthenticated != 1 {
		t.Fatalf("counters %+v, want 1 unauthenticated request shed", c)
	}
	if status, _, _ := call(t, "GET", srv.URL+"/healthz", "", "", ""); status != 200 {
		t.Fatalf("healthz after: %d", status)
	}
}

// TestAuthenticatedRequestsWaitThenShed: a request with a well-formed
// token waits up to Limits.Wait for a turn, then gets 503.
func TestAuthenticatedRequestsWaitThenShed(t *testing.T) {
	st := openStore(t, nodetest.Start(t).DB(), store.Options{})
	h := api.NewHandler(st, nil, api.WithLimits(api.Limits{Authenticated: 1, Wait: 50 * time.Millisecond}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	join := mustToken(t, registry.JoinTokenPrefix)
	// Hold the one authenticated turn: a registration whose body never
	// finishes arriving.
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1/clusters/web/members HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", join)
	var status int
	for i := 0; i < 100; i++ { // until the slow request holds the turn
		time.Sleep(10 * time.Millisecond)
		if status, _, _ = call(t, "GET", srv.URL+"/v1/clusters", mustToken(t, registry.AdminTokenPrefix), "", ""); status == 503 {
			break
		}
	}
	if status != 503 {
		t.Fatalf("an authenticated request with the turn taken: %d, want 503", status)
	}
	if c := h.Counters(); c.ShedAuthenticated < 1 {
		t.Fatalf("counters %+v", c)
	}
}

// TestReadyzChecksOncePerInterval: a burst of readiness probes costs one
// check of the store.
func TestReadyzChecksOncePerInterval(t *testing.T) {
	st := openStore(t, nodetest.Start(t).DB(), store.Options{})
	h := api.NewHandler(st, nil, api.WithLimits(api.Limits{ReadyEvery: time.Minute, Unauthenticated: 1000}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[200] != 200 {
		t.Errorf("answers %v, want 200 × 200", codes)
	}
	if c := h.Counters(); c.ReadyChecks != 1 {
		t.Fatalf("%d readiness checks for 200 probes, want 1", c.ReadyChecks)
	}
}

// TestRateLimitLog: 1,000 identical lines in one second write 10, and the
// next one after the interval says how many were dropped. The records
// carry their own times: no sleeping.
func TestRateLimitLog(t *testing.T) {
	var buf bytes.Buffer
	h := api.RateLimitLog(slog.NewTextHandler(&buf, nil), 10, time.Second)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		h.Handle(ctx, slog.NewRecord(t0.Add(time.Duration(i)*time.Millisecond/2), slog.LevelError, "request failed", 0))
	}
	h.Handle(ctx, slog.NewRecord(t0, slog.LevelWarn, "another message", 0)) // its own budget
	h.WithAttrs([]slog.Attr{slog.String("k", "v")}).Handle(ctx, slog.NewRecord(t0.Add(1100*time.Millisecond), slog.LevelError, "request failed", 0))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want 12:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[11], "suppressed=990") {
		t.Fatalf("last line %q lacks suppressed=990", lines[11])
	}
}

// TestLimitListener: a third connection from one address is closed at
// once while two are open; one from another address is served; closing
// one frees its place.
func TestLimitListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ll := api.LimitListener(ln, api.ListenerLimits{PerClient: 2, Total: 3})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(ll)
	defer srv.Close()
	addr := ln.Addr().String()
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	served := func(c net.Conn) bool {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return false
		}
		b := make([]byte, 64)
		n, _ := c.Read(b)
		return strings.HasPrefix(string(b[:n]), "HTTP/1.1 200")
	}
	a1, a2 := dial("127.0.0.1"), dial("127.0.0.1")
	if !served(a1) || !served(a2) {
		t.Fatal("the first two connections were not served")
	}
	a3 := dial("127.0.0.1")
	if served(a3) {
		t.Fatal("a third connection from one address was served")
	}
	b1 := dial("127.0.0.2")
	if !served(b1) {
		t.Fatal("a connection from another address was not served")
	}
	b2 := dial("127.0.0.2") // over Total (3)
	if served(b2) {
		t.Fatal("a connection over the total was served")
	}
	a1.Close()
	var again bool
	for i := 0; i < 100 && !again; i++ { // the server sees the close
		time.Sleep(10 * time.Millisecond)
		c := dial("127.0.0.1")
		again = served(c)
		c.Close()
	}
	if !again {
		t.Fatal("closing a connection did not free its place")
	}
	if refused, _ := ll.Refused(); refused < 2 {
		t.Fatalf("refused %d, want at least 2", refused)
	}
	for _, c := range []net.Conn{a2, a3, b1, b2} {
		c.Close()
	}
}

// TestAuditLines: every state change writes one INFO line "audit" with
// the action, the kind and public id of the token that asked, and what
// changed; no line holds a token. Calls that change nothing write none.
func TestAuditLines(t *testing.T) {
	st := openStore(t, nodetest.Start(t).DB(), store.Options{})
	var buf syncBuffer
	h := api.NewHandler(st, slog.New(slog.NewTextHandler(&buf, nil)))
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	admin := mustToken(t, registry.AdminTokenPrefix)
	if err := st.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	ac, err := client.New(srv.URL, admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	jt, err := ac.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ac.WithToken(jt.Token).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"})
	if err != nil {
		t.Fatal(err)
	}
	ac.WithToken(jt.Token).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-2"})
	ac.WithToken(mustToken(t, registry.MemberTokenPrefix)).Deregister(ctx, "web", "i-1") // not its token: no change
	if _, err := ac.WithToken(reg.MemberToken).Deregister(ctx, "web", "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Reconcile(ctx, "web", registry.ReconcileRequest{AllowEmpty: true, RegisteredBefore: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.RevokeJoinToken(ctx, "web", jt.ID); err != nil {
		t.Fatal(err)
	}
	at, err := ac.CreateAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.RevokeAdminToken(ctx, at.ID); err != nil {
		t.Fatal(err)
	}
	adminID := registry.TokenID(admin)
	want := []string{
		"action=join_token_create token_kind=admin token_id=" + adminID + " cluster=web new_token_id=" + jt.ID,
		"action=register token_kind=join token_id=" + jt.ID + " cluster=web instance_id=i-1 created=true",
		"action=register token_kind=join token_id=" + jt.ID + " cluster=web instance_id=i-2 created=true",
		"action=deregister token_kind=member token_id=" + registry.TokenID(reg.MemberToken) + " cluster=web instance_id=i-1",
		"action=reconcile token_kind=admin token_id=" + adminID + " cluster=web live=0 removed=1",
		"action=join_token_revoke token_kind=admin token_id=" + adminID + " cluster=web revoked_token_id=" + jt.ID,
		"action=admin_token_create token_kind=admin token_id=" + adminID + " new_token_id=" + at.ID,
		"action=admin_token_revoke token_kind=admin token_id=" + adminID + " revoked_token_id=" + at.ID,
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		for _, tok := range []string{admin, jt.Token, reg.MemberToken, at.Token} {
			if strings.Contains(line, tok) {
				t.Fatalf("a log line holds a token: %s", line)
			}
		}
		if i := strings.Index(line, "msg=audit "); i >= 0 && strings.Contains(line, "level=INFO") {
			got = append(got, line[i+len("msg=audit "):])
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
