package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// openWatchStore opens a store on a fresh real dqlite node, with an admin
// token and a join token for "web".
func openWatchStore(t *testing.T, opt store.Options) (*store.Store, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opt.Transient = dqlitenode.IsTransient
	st, err := store.Open(ctx, nodetest.Start(t).DB(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, _ := registry.NewToken(registry.AdminTokenPrefix)
	if err := st.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	jt, err := st.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	return st, admin, jt.Token
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestChangesEveryKind: each way a membership changes adds one change of
// its kind, in order, with increasing seqs; joined and replaced changes
// carry the member as it is now.
func TestChangesEveryKind(t *testing.T) {
	clk := &clock{}
	clk.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	st, admin, join := openWatchStore(t, store.Options{Now: clk.Now})
	ctx := testCtx(t)
	i0, err := st.ChangeIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reg := func(id, addr string) string {
		t.Helper()
		r, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: id, Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		return r.MemberToken
	}
	ta := reg("i-a", "10.0.0.1:80")
	if _, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: "i-a", Address: "10.0.0.2:80", MemberToken: ta}); err != nil {
		t.Fatal(err)
	}
	tb := reg("i-b", "")
	if r, err := st.Deregister(ctx, "web", "i-b", tb); err != nil || !r.Deregistered {
		t.Fatal(r, err)
	}
	reg("i-c", "")
	if r, err := st.Deregister(ctx, "web", "i-c", admin); err != nil || !r.Deregistered {
		t.Fatal(r, err)
	}
	// Not changes: a deregistration of an absent member, a refused
	// registration, a renewal.
	if _, err := st.Deregister(ctx, "web", "i-zz", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: "i-a"}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("register with another token: %v", err)
	}
	if _, err := st.Renew(ctx, "web", "i-a", ta); err != nil {
		t.Fatal(err)
	}
	reg("i-d", "")
	clk.Advance(time.Minute)
	removed, err := st.Reconcile(ctx, "web", registry.ReconcileRequest{Live: []string{"i-a", "i-e"}, RegisteredBefore: clk.Now()})
	if err != nil || len(removed) != 1 || removed[0] != "i-d" {
		t.Fatalf("reconcile removed %v, %v", removed, err)
	}
	if _, err := st.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	reg("i-e", "")
	clk.Advance(2 * time.Minute)
	res, err := st.Sweep(ctx, store.SweepOptions{Tolerance: 5})
	if err != nil || len(res.Evicted) != 2 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
	got, err := st.Changes(ctx, "web", i0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id   string
		kind registry.ChangeKind
	}{
		{"i-a", registry.ChangeJoined}, {"i-a", registry.ChangeReplaced},
		{"i-b", registry.ChangeJoined}, {"i-b", registry.ChangeLeft},
		{"i-c", registry.ChangeJoined}, {"i-c", registry.ChangeLeft},
		{"i-d", registry.ChangeJoined}, {"i-d", registry.ChangeReconciled},
		{"i-e", registry.ChangeJoined},
		// The sweep evicts the longest unrenewed first.
		{"i-a", registry.ChangeEvicted}, {"i-e", registry.ChangeEvicted},
	}
	if len(got.Changes) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(got.Changes), len(want), got.Changes)
	}
	prev := i0
	for i, c := range got.Changes {
		if c.InstanceID != want[i].id || c.Kind != want[i].kind || c.Cluster != "web" {
			t.Errorf("change %d: %s %s, want %s %s", i, c.InstanceID, c.Kind, want[i].id, want[i].kind)
		}
		if c.Seq <= prev {
			t.Errorf("change %d: seq %d after %d", i, c.Seq, prev)
		}
		prev = c.Seq
		if c.Member != nil {
			t.Errorf("change %d (%s %s): member %+v, but every member is gone", i, c.InstanceID, c.Kind, c.Member)
		}
	}
	if got.Index != prev || got.More {
		t.Errorf("index %d more %v, want %d false", got.Index, got.More, prev)
	}
	if idx, _ := st.ChangeIndex(ctx); idx != prev {
		t.Errorf("ChangeIndex %d, want %d", idx, prev)
	}
	// A member still registered comes with its joined change.
	reg("i-f", "10.0.0.9:80")
	got, err = st.Changes(ctx, "web", prev, 0)
	if err != nil || len(got.Changes) != 1 || got.Changes[0].Member == nil || got.Changes[0].Member.Address != "10.0.0.9:80" {
		t.Fatalf("changes after %d: %+v, %v", prev, got, err)
	}
	// Another cluster's changes are not web's, but move the index.
	jt, err := st.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Register(ctx, "db", jt.Token, registry.RegisterRequest{InstanceID: "i-g"}); err != nil {
		t.Fatal(err)
	}
	got2, err := st.Changes(ctx, "web", got.Index, 0)
	if err != nil || len(got2.Changes) != 0 || got2.Index != got.Index+1 {
		t.Fatalf("web after a db change: %+v, %v", got2, err)
	}
}

// TestChangesGroupCommit: registrations committed together in one batch
// get one seq each.
func TestChangesGroupCommit(t *testing.T) {
	st, _, join := openWatchStore(t, store.Options{})
	ctx := testCtx(t)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	before := st.Stats()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%03d", i)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	after := st.Stats()
	if after.Batches-before.Batches >= n {
		t.Logf("no batch held more than one registration (%d batches); the test shows less than it could", after.Batches-before.Batches)
	}
	seen := map[string]bool{}
	seqs := map[uint64]bool{}
	idx := uint64(0)
	for {
		got, err := st.Changes(ctx, "web", idx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got.Changes {
			if c.Kind != registry.ChangeJoined || seen[c.InstanceID] || seqs[c.Seq] {
				t.Fatalf("change %+v: duplicate or not joined", c)
			}
			seen[c.InstanceID], seqs[c.Seq] = true, true
		}
		idx = got.Index
		if !got.More {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("%d joined changes, want %d", len(seen), n)
	}
	t.Logf("%d registrations in %d batches", n, after.Batches-before.Batches)
}

// TestChangesPrunedWindow: the change index keeps a window; a watcher
// behind it, or ahead of the index, is told to re-list.
func TestChangesPrunedWindow(t *testing.T) {
	st, _, join := openWatchStore(t, store.Options{ChangeWindow: 16, MaxBatch: 1})
	ctx := testCtx(t)
	for i := range 40 {
		if _, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := st.ChangeIndex(ctx)
	if err != nil || idx != 40 {
		t.Fatalf("index %d, %v; want 40", idx, err)
	}
	if _, err := st.Changes(ctx, "web", 0, 0); !registry.IsCode(err, registry.CodeGone) {
		t.Fatalf("after 0 with a pruned window: %v, want gone", err)
	}
	got, err := st.Changes(ctx, "web", idx-10, 0)
	if err != nil || len(got.Changes) != 10 {
		t.Fatalf("the last 10: %d changes, %v", len(got.Changes), err)
	}
	for _, after := range []uint64{idx + 1, 1 << 63, ^uint64(0)} {
		if _, err := st.Changes(ctx, "web", after, 0); !registry.IsCode(err, registry.CodeGone) || !strings.Contains(err.Error(), "index is 40, lower") {
			t.Fatalf("after %d, beyond the index: %v, want gone", after, err)
		}
	}
	// WaitCluster cannot tell for a pruned index: it returns at once.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := st.WaitCluster(wctx, "web", 0); err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("WaitCluster on a pruned index: %v after %v", err, time.Since(start))
	}
}

// TestWaitChanges: a wait returns with the change that ends it, and at its
// deadline with none and the index.
func TestWaitChanges(t *testing.T) {
	st, _, join := openWatchStore(t, store.Options{})
	ctx := testCtx(t)
	idx, err := st.ChangeIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	got, err := st.WaitChanges(wctx, "web", idx, 0)
	cancel()
	if err != nil || len(got.Changes) != 0 || got.Index != idx {
		t.Fatalf("quiet wait: %+v, %v", got, err)
	}
	done := make(chan registry.ChangesResponse, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		got, err := st.WaitChanges(wctx, "web", idx, 0)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	for st.Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := st.Register(ctx, "web", join, registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	got = <-done
	if len(got.Changes) != 1 || got.Changes[0].InstanceID != "i-1" || got.Index <= idx {
		t.Fatalf("woken wait: %+v", got)
	}
	if st.Watchers() != 0 {
		t.Fatalf("%d watchers left", st.Watchers())
	}
}
