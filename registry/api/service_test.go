package api_test

import (
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/internal/regtest"
	"github.com/udkit/udkit/registry/store"
)

type service = regtest.Service

var (
	openStore  = regtest.OpenStore
	newService = regtest.NewService
	ctxT       = regtest.Ctx
	mustToken  = regtest.MustToken
	call       = regtest.Call
)

func TestRegisterListDeregisterRoundTrip(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
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

	ms, err := svc.Client.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].InstanceID != req.InstanceID || ms[0].Labels["role"] != "app" || !ms[0].RegisteredAt.Equal(got.Member.RegisteredAt) {
		t.Fatalf("members %+v", ms)
	}
	cs, err := svc.Client.Clusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0] != (registry.ClusterSummary{Cluster: "web", Members: 1}) {
		t.Fatalf("clusters %+v", cs)
	}

	member := svc.Client.WithToken(got.MemberToken)
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
	ms, err = svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 0 {
		t.Fatalf("members after deregister: %+v, %v", ms, err)
	}
}

func TestHealth(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	h, err := svc.Client.WithToken("").Health(ctxT(t))
	if err != nil || h.Status != "ok" {
		t.Fatalf("health %+v, %v", h, err)
	}
	r, err := svc.Client.WithToken("").Ready(ctxT(t))
	if err != nil || r.Status != "ready" {
		t.Fatalf("ready %+v, %v", r, err)
	}
}
