package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// TestConcurrentSameInstance sends many registrations of one instance at
// once, so that several land in the same group-commit batch: with one
// member token, exactly one creates the member and the others are
// repeats; with different tokens, exactly one wins and the others
// conflict.
func TestConcurrentSameInstance(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	const n = 100
	run := func(id string, sameToken bool) (created, repeats, conflicts int) {
		shared := mustToken(t, registry.MemberTokenPrefix)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			tok := shared
			if !sameToken {
				tok = mustToken(t, registry.MemberTokenPrefix)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := svc.Store.Register(ctx, "web", svc.Join, registry.RegisterRequest{InstanceID: id, MemberToken: tok})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && r.Created:
					created++
				case err == nil:
					repeats++
				case registry.IsCode(err, registry.CodeConflict):
					conflicts++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		return
	}
	if c, r, x := run("i-same", true); c != 1 || r != n-1 || x != 0 {
		t.Errorf("same token: %d created, %d repeats, %d conflicts; want 1, %d, 0", c, r, x, n-1)
	}
	if c, r, x := run("i-race", false); c != 1 || r != 0 || x != n-1 {
		t.Errorf("different tokens: %d created, %d repeats, %d conflicts; want 1, 0, %d", c, r, x, n-1)
	}
	st := svc.Store.Stats()
	t.Logf("%d operations in %d transactions", st.Batched, st.Batches)
	ms, err := svc.Store.Members(ctx, "web")
	if err != nil || len(ms) != 2 {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

// TestCanceledBeforeCommit: a caller that gives up before its operation is
// taken gets an unavailable error, and nothing is written.
func TestCanceledBeforeCommit(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := svc.Store.Register(ctx, "web", svc.Join, registry.RegisterRequest{InstanceID: "i-1"})
	if !registry.IsCode(err, registry.CodeUnavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
	ms, err := svc.Store.Members(context.Background(), "web")
	if err != nil || len(ms) != 0 {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

// TestClosedStore: after Close, writes fail cleanly instead of hanging.
func TestClosedStore(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	svc.Store.Close()
	_, err := svc.Store.Register(context.Background(), "web", svc.Join, registry.RegisterRequest{InstanceID: "i-1"})
	if !registry.IsCode(err, registry.CodeUnavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
	// Over HTTP: 503 with Retry-After, so that a script retries.
	req, _ := http.NewRequest("POST", svc.Srv.URL+"/v1/clusters/web/members", strings.NewReader(`{"instance_id":"i-1"}`))
	req.Header.Set("Authorization", "Bearer "+svc.Join)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("got %d, Retry-After %q; want 503 and a Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
