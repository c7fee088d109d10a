package registry_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
)

// service is a registry on a real dqlite node behind a real HTTP server on
// loopback.
type service struct {
	store  *registry.Store
	srv    *httptest.Server
	admin  string
	join   string // join token of cluster "web"
	client *registry.Client
}

func openStore(t testing.TB, db *sql.DB, opt registry.Options) *registry.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opt.Transient == nil {
		opt.Transient = dqlitenode.IsTransient // as udkitd does
	}
	s, err := registry.OpenStore(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newService starts a node, a store and an HTTP server, and makes an admin
// token and a join token for cluster "web".
func newService(t testing.TB, db *sql.DB, opt registry.Options) *service {
	t.Helper()
	if db == nil {
		db = nodetest.Start(t).DB()
	}
	s := openStore(t, db, opt)
	srv := httptest.NewServer(registry.NewHandler(s, nil))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := mustToken(t, registry.AdminTokenPrefix)
	if err := s.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	c, err := registry.NewClient(srv.URL, admin, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	jt, err := c.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	return &service{store: s, srv: srv, admin: admin, join: jt.Token, client: c}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustToken(t testing.TB, prefix string) string {
	t.Helper()
	tok, err := registry.NewToken(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRegisterListDeregisterRoundTrip(t *testing.T) {
	svc := newService(t, nil, registry.Options{})
	ctx := ctxT(t)
	joiner := svc.client.WithToken(svc.join)
	req := registry.RegisterRequest{
		InstanceID:     "i-0123456789abcdef0",
		Address:        "10.0.0.7:8080",
		Labels:         map[string]string{"role": "app", "zone": "a"},
		UserDataSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
	got, err := joiner.Register(ctx, "web", req)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created || got.Member.InstanceID != req.InstanceID || got.Member.Address != req.Address ||
		got.Member.Labels["zone"] != "a" || got.Member.UserDataSHA256 != req.UserDataSHA256 || got.Member.Cluster != "web" {
		t.Fatalf("register answered %+v", got)
	}
	if kind, err := registry.ParseToken(got.MemberToken); err != nil || kind != registry.KindMember {
		t.Fatalf("member token %q: kind %q, %v", got.MemberToken, kind, err)
	}
	if got.Member.RegisteredAt.IsZero() || !got.Member.RegisteredAt.Equal(got.Member.UpdatedAt) {
		t.Fatalf("timestamps %v %v", got.Member.RegisteredAt, got.Member.UpdatedAt)
	}

	ms, err := svc.client.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].InstanceID != req.InstanceID || ms[0].Labels["role"] != "app" || !ms[0].RegisteredAt.Equal(got.Member.RegisteredAt) {
		t.Fatalf("members %+v", ms)
	}
	cs, err := svc.client.Clusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0] != (registry.ClusterSummary{Cluster: "web", Members: 1}) {
		t.Fatalf("clusters %+v", cs)
	}

	member := svc.client.WithToken(got.MemberToken)
	dr, err := member.Deregister(ctx, "web", req.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if !dr.Deregistered {
		t.Fatal("deregister answered false for a registered member")
	}
	// Idempotent: the second time there is nothing to remove.
	dr, err = member.Deregister(ctx, "web", req.InstanceID)
	if err != nil || dr.Deregistered {
		t.Fatalf("second deregister: %+v, %v", dr, err)
	}
	ms, err = svc.client.Members(ctx, "web")
	if err != nil || len(ms) != 0 {
		t.Fatalf("members after deregister: %+v, %v", ms, err)
	}
}

func TestHealth(t *testing.T) {
	svc := newService(t, nil, registry.Options{})
	h, err := svc.client.WithToken("").Health(ctxT(t))
	if err != nil || h.Status != "ok" {
		t.Fatalf("health %+v, %v", h, err)
	}
}
