package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// TestMemberTokenBelongsToOneMember: instances cloned from an image baked
// after registration would all send the same member token. The second one
// must be refused (409), so that no clone holds a token that deregisters
// another.
func TestMemberTokenBelongsToOneMember(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	shared := mustToken(t, registry.MemberTokenPrefix)
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-original", MemberToken: shared}); err != nil {
		t.Fatal(err)
	}
	status, e, body := call(t, "POST", svc.Srv.URL+"/v1/clusters/web/members", svc.Join, "application/json",
		`{"instance_id":"i-clone","member_token":"`+shared+`"}`)
	if status != 409 || e.Code != registry.CodeConflict {
		t.Fatalf("a second member with the same token: got %d %q, want 409 conflict; body %s", status, e.Code, body)
	}
	// Another cluster does not make the token another's either.
	dbJoin, err := svc.Client.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Client.WithToken(dbJoin.Token).Register(ctx, "db", registry.RegisterRequest{InstanceID: "i-clone", MemberToken: shared}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("same token in another cluster: got %v, want conflict", err)
	}
	// The original still registers again with it (idempotent), and once
	// it is gone, the token is free.
	if r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-original", MemberToken: shared}); err != nil || r.Created {
		t.Fatalf("repeat of the original: %+v, %v", r, err)
	}
	if _, err := svc.Client.WithToken(shared).Deregister(ctx, "web", "i-original"); err != nil {
		t.Fatal(err)
	}
	if r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-clone", MemberToken: shared}); err != nil || !r.Created {
		t.Fatalf("token freed by deregistration: %+v, %v", r, err)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].InstanceID != "i-clone" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

// TestMemberTokenUniqueInOneBatch: clones booting together land in one
// group-commit batch; exactly one of them gets the token.
func TestMemberTokenUniqueInOneBatch(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	shared := mustToken(t, registry.MemberTokenPrefix)
	const n = 50
	var mu sync.Mutex
	var wg sync.WaitGroup
	created, conflicts := 0, 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Store.Register(ctx, "web", svc.Join, registry.RegisterRequest{InstanceID: fmt.Sprintf("i-clone-%d", i), MemberToken: shared})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case registry.IsCode(err, registry.CodeConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if created != 1 || conflicts != n-1 {
		t.Fatalf("%d created, %d conflicts; want 1, %d", created, conflicts, n-1)
	}
}
