package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

// fakeClock is a clock the test moves; the store's registrations,
// renewals and sweeps all read it.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// leaseFixture is one real dqlite node with the API, a fake clock, a
// lease of 90 s on cluster "web", n registered members, and an evictor
// whose status /healthz reports.
type leaseFixture struct {
	svc    *service
	clock  *fakeClock
	ev     *store.Evictor
	logs   *syncBuffer
	tokens map[string]string // instance id -> member token
	ids    []string
}

const testTTL = 90 * time.Second

func newLeaseFixture(t *testing.T, n int) *leaseFixture {
	t.Helper()
	f := &leaseFixture{clock: newFakeClock(), logs: &syncBuffer{}, tokens: map[string]string{}}
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	f.ev = &store.Evictor{Log: log}
	f.svc = newService(t, nil, store.Options{Now: f.clock.Now}, api.WithLeaseStatus(f.ev.Status))
	f.ev.Store = f.svc.Store
	ctx := ctxT(t)
	// The evictor runs from the start, as udkitd's does (it leads from
	// now: SweepOptions.Since).
	if _, err := f.ev.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Client.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: int(testTTL / time.Second)}); err != nil {
		t.Fatal(err)
	}
	jc := f.svc.Client.WithToken(f.svc.Join)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("i-%03d", i)
		tok := mustToken(t, registry.MemberTokenPrefix)
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, MemberToken: tok}); err != nil {
			t.Fatal(err)
		}
		f.tokens[id] = tok
		f.ids = append(f.ids, id)
	}
	return f
}

// renew renews the given members over HTTP, each with its own token.
func (f *leaseFixture) renew(t *testing.T, ids []string) {
	t.Helper()
	ctx := ctxT(t)
	for _, id := range ids {
		r, err := f.svc.Client.WithToken(f.tokens[id]).Renew(ctx, "web", id)
		if err != nil || !r.Renewed {
			t.Fatalf("renew %s: %+v, %v", id, r, err)
		}
		if want := f.clock.Now().UTC().Add(testTTL); !r.ExpiresAt.Equal(want) {
			t.Fatalf("renew %s: expires at %v, want %v", id, r.ExpiresAt, want)
		}
	}
}

func (f *leaseFixture) members(t *testing.T) map[string]bool {
	t.Helper()
	ms, err := f.svc.Client.Members(ctxT(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ms {
		out[m.InstanceID] = true
	}
	return out
}

func (f *leaseFixture) health(t *testing.T) registry.LeaseStatus {
	t.Helper()
	h, err := f.svc.Client.Health(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Lease == nil {
		t.Fatalf("/healthz has no lease state: %+v", h)
	}
	return *h.Lease
}

func TestLeaseStaleMemberEvicted(t *testing.T) {
	f := newLeaseFixture(t, 20)
	ctx := ctxT(t)
	// Everyone but i-000 renews every 30 s, as the timer does (TTL/3).
	for step := 0; step < 2; step++ {
		f.clock.Advance(30 * time.Second)
		f.renew(t, f.ids[1:])
		if res, err := f.ev.Sweep(ctx); err != nil || len(res.Evicted) != 0 {
			t.Fatalf("sweep at %d s: %+v, %v", 30*(step+1), res, err)
		}
	}
	// At 89 s i-000's lease (from its registration at 0) has not run out.
	f.clock.Advance(29 * time.Second)
	if res, err := f.ev.Sweep(ctx); err != nil || len(res.Evicted) != 0 {
		t.Fatalf("sweep before the TTL: %+v, %v", res, err)
	}
	// One sweep after the TTL: evicted.
	f.clock.Advance(2 * time.Second)
	res, err := f.ev.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Evicted) != 1 || res.Evicted[0].InstanceID != "i-000" || res.SelfPreservation {
		t.Fatalf("sweep after the TTL: %+v", res)
	}
	if got := f.members(t); len(got) != 19 || got["i-000"] {
		t.Fatalf("members after eviction: %v", got)
	}
	// The eviction says why, in an audit line without the token.
	logs := f.logs.String()
	if !strings.Contains(logs, `"msg":"audit","action":"evict","reason":"expired"`) || !strings.Contains(logs, `"instance_id":"i-000"`) {
		t.Fatalf("no eviction audit line:\n%s", logs)
	}
	if strings.Contains(logs, f.tokens["i-000"]) {
		t.Fatal("the log holds the member token")
	}
	// Never twice: the next sweep finds nothing.
	if res, err := f.ev.Sweep(ctx); err != nil || len(res.Evicted) != 0 {
		t.Fatalf("second sweep: %+v, %v", res, err)
	}
	if st := f.health(t); st.Evicted != 1 || st.SelfPreservation || !st.Leader || st.Leased != 19 || st.Threshold != 0.85 {
		t.Fatalf("/healthz lease state: %+v", st)
	}
	// The evicted instance learns it from its renewal, and registers
	// again with its kept token; a join-token holder cannot take its id.
	mc := f.svc.Client.WithToken(f.tokens["i-000"])
	if r, err := mc.Renew(ctx, "web", "i-000"); err != nil || r.Renewed {
		t.Fatalf("renew after eviction: %+v, %v", r, err)
	}
	jc := f.svc.Client.WithToken(f.svc.Join)
	if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-000"}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("another token took the evicted id: %v", err)
	}
	if r, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-000", MemberToken: f.tokens["i-000"]}); err != nil || !r.Created {
		t.Fatalf("re-register with the kept token: %+v, %v", r, err)
	}
}

func TestLeasePartitionSelfPreservation(t *testing.T) {
	f := newLeaseFixture(t, 20)
	ctx := ctxT(t)
	few := f.ids[:2] // the only members still reaching the registry
	for step := 0; step < 3; step++ {
		f.clock.Advance(30 * time.Second)
		f.renew(t, few)
	}
	f.clock.Advance(time.Second) // 91 s: 18 leases ran out
	res, err := f.ev.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.SelfPreservation || len(res.Evicted) != 0 || res.Leased != 20 || res.Fresh != 2 {
		t.Fatalf("partition sweep: %+v", res)
	}
	if got := f.members(t); len(got) != 20 {
		t.Fatalf("a partition evicted members: %d left", len(got))
	}
	if st := f.health(t); !st.SelfPreservation || st.Fresh != 2 || st.Leased != 20 {
		t.Fatalf("/healthz lease state: %+v", st)
	}
	if !strings.Contains(f.logs.String(), "lease self-preservation: eviction paused") {
		t.Fatalf("no self-preservation log line:\n%s", f.logs.String())
	}
	// Still paused a while later.
	f.clock.Advance(60 * time.Second)
	f.renew(t, few)
	if res, err := f.ev.Sweep(ctx); err != nil || !res.SelfPreservation || len(res.Evicted) != 0 {
		t.Fatalf("sweep during the partition: %+v, %v", res, err)
	}
	// The partition heals: every member but i-019 renews (their leases
	// had run out, but nobody was evicted, so the renewals succeed).
	f.clock.Advance(time.Second)
	f.renew(t, f.ids[:19])
	res, err = f.ev.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.SelfPreservation || len(res.Evicted) != 1 || res.Evicted[0].InstanceID != "i-019" {
		t.Fatalf("sweep after the partition healed: %+v", res)
	}
	if !strings.Contains(f.logs.String(), "lease self-preservation ended") {
		t.Fatalf("no log line for the end of self-preservation:\n%s", f.logs.String())
	}
	if st := f.health(t); st.SelfPreservation || st.Evicted != 1 {
		t.Fatalf("/healthz lease state: %+v", st)
	}
}

func TestLeaseSmallClusterTolerance(t *testing.T) {
	// One of three lost: a third of the cluster, but within the default
	// tolerance of one, so it is evicted.
	f := newLeaseFixture(t, 3)
	ctx := ctxT(t)
	for step := 0; step < 3; step++ {
		f.clock.Advance(30 * time.Second)
		f.renew(t, f.ids[1:])
	}
	f.clock.Advance(time.Second)
	res, err := f.ev.Sweep(ctx)
	if err != nil || res.SelfPreservation || len(res.Evicted) != 1 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
}

func TestLeaseAPI(t *testing.T) {
	f := newLeaseFixture(t, 1)
	ctx := ctxT(t)
	if l, err := f.svc.Client.Lease(ctx, "web"); err != nil || l.TTLSeconds != 90 || l.Cluster != "web" {
		t.Fatalf("lease: %+v, %v", l, err)
	}
	if l, err := f.svc.Client.Lease(ctx, "other"); err != nil || l.TTLSeconds != 0 {
		t.Fatalf("lease of a cluster without one: %+v, %v", l, err)
	}
	for _, ttl := range []int{-1, 4, 7*24*3600 + 1} {
		if _, err := f.svc.Client.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: ttl}); !registry.IsCode(err, registry.CodeInvalid) {
			t.Errorf("ttl %d: %v, want invalid", ttl, err)
		}
	}
	// Renewing needs the member's own token.
	for name, tok := range map[string]string{"join": f.svc.Join, "admin": f.svc.Admin} {
		if _, err := f.svc.Client.WithToken(tok).Renew(ctx, "web", "i-000"); !registry.IsCode(err, registry.CodeForbidden) {
			t.Errorf("renew with the %s token: %v, want forbidden", name, err)
		}
	}
	other := mustToken(t, registry.MemberTokenPrefix)
	if r, err := f.svc.Client.WithToken(other).Renew(ctx, "web", "i-000"); err != nil || r.Renewed {
		t.Errorf("renew with another member token: %+v, %v", r, err)
	}
	// Another member's valid token renews nothing of this member.
	tok1 := mustToken(t, registry.MemberTokenPrefix)
	if _, err := f.svc.Client.WithToken(f.svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-001", MemberToken: tok1}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if r, err := f.svc.Client.WithToken(tok1).Renew(ctx, "web", "i-000"); err != nil || r.Renewed {
		t.Errorf("renew i-000 with i-001's token: %+v, %v", r, err)
	}
	if ms, err := f.svc.Client.Members(ctx, "web"); err != nil || len(ms) != 2 || ms[0].RenewedAt.Equal(f.clock.Now().UTC()) {
		t.Errorf("i-000 renewed by another member's token: %+v, %v", ms, err)
	}
	if _, err := f.svc.Client.WithToken(f.svc.Admin).Deregister(ctx, "web", "i-001"); err != nil {
		t.Fatal(err)
	}
	if r, err := f.svc.Client.WithToken(other).Renew(ctx, "web", "i-absent"); err != nil || r.Renewed {
		t.Errorf("renew of an absent member: %+v, %v", r, err)
	}
	// A body is refused, as for a deregistration.
	status, e, _ := call(t, "POST", f.svc.Srv.URL+"/v1/clusters/web/members/i-000/renew", f.tokens["i-000"], "application/json", `{}`)
	if status < 400 {
		t.Errorf("renew with a body: %d %+v", status, e)
	}
	// Setting the lease restarts every member's lease: i-000, silent
	// for 100 s, is not evicted right after the lease is set again.
	f.clock.Advance(100 * time.Second)
	if _, err := f.svc.Client.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.ev.Sweep(ctx); err != nil || len(res.Evicted) != 0 {
		t.Fatalf("sweep right after setting the lease: %+v, %v", res, err)
	}
	ms, err := f.svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || !ms[0].RenewedAt.Equal(f.clock.Now().UTC()) {
		t.Fatalf("members: %+v, %v", ms, err)
	}
	// Without a lease nobody is evicted, however old.
	if _, err := f.svc.Client.SetLease(ctx, "web", registry.LeaseRequest{}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour)
	if res, err := f.ev.Sweep(ctx); err != nil || len(res.Evicted) != 0 || res.Leased != 0 {
		t.Fatalf("sweep without a lease: %+v, %v", res, err)
	}
	b, _ := json.Marshal(registry.RenewResponse{Renewed: false})
	if string(b) != `{"renewed":false}` {
		t.Errorf("RenewResponse without a lease: %s", b)
	}
	_ = http.MethodPost
	_ = client.MembersPageSize
	_ = context.Background
}

// TestLeaseGraceAfterOutage: members cannot renew while the registry is
// down or has no leader, so a node that starts leading gives every member
// a full TTL from then (SweepOptions.Since). Three members of a registry
// that was down ten TTLs: none is evicted at once (with the tolerance of
// one, the silent one would have been, self-preservation or not); the two
// that renew stay; the one still silent a TTL after the new leader began
// is evicted.
func TestLeaseGraceAfterOutage(t *testing.T) {
	f := newLeaseFixture(t, 3)
	ctx := ctxT(t)
	f.clock.Advance(10 * testTTL) // the registry was down
	leader := &store.Evictor{Store: f.svc.Store}
	res, err := leader.Sweep(ctx)
	if err != nil || len(res.Evicted) != 0 {
		t.Fatalf("first sweep of the new leader: %+v, %v; want nobody evicted", res, err)
	}
	// The two live members renew every TTL/3, as the timer does.
	f.clock.Advance(testTTL / 3)
	f.renew(t, f.ids[1:])
	f.clock.Advance(testTTL / 3)
	f.renew(t, f.ids[1:])
	f.clock.Advance(testTTL - 2*(testTTL/3) - time.Second)
	if res, err := leader.Sweep(ctx); err != nil || len(res.Evicted) != 0 {
		t.Fatalf("sweep a second before a TTL of leading: %+v, %v; want nobody evicted", res, err)
	}
	f.clock.Advance(2 * time.Second)
	res, err = leader.Sweep(ctx)
	if err != nil || len(res.Evicted) != 1 || res.Evicted[0].InstanceID != "i-000" {
		t.Fatalf("sweep a TTL after the leader began: %+v, %v; want i-000 evicted", res, err)
	}
	// The same store swept without the bound (Since zero, and a
	// tolerance that keeps self-preservation out of it) evicts at once:
	// the bound, not the data, held eviction back.
	f.clock.Advance(10 * testTTL)
	res, err = f.svc.Store.Sweep(ctx, store.SweepOptions{Tolerance: 2})
	if err != nil || len(res.Evicted) != 2 {
		t.Fatalf("sweep without Since after another outage: %+v, %v; want the 2 members evicted", res, err)
	}
}
