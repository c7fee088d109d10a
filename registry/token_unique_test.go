package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
)

// TestMemberTokenBelongsToOneMember: instances cloned from an image baked
// after registration would all send the same member token. The second one
// must be refused (409), so that no clone holds a token that deregisters
// another.
func TestMemberTokenBelongsToOneMember(t *testing.T) {
	svc := newService(t, nil, registry.Options{})
	ctx := ctxT(t)
	joiner := svc.client.WithToken(svc.join)
	shared := mustToken(t, registry.MemberTokenPrefix)
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-original", MemberToken: shared}); err != nil {
		t.Fatal(err)
	}
	status, e, body := call(t, "POST", svc.srv.URL+"/v1/clusters/web/members", svc.join, "application/json",
		`{"instance_id":"i-clone","member_token":"`+shared+`"}`)
	if status != 409 || e.Code != registry.CodeConflict {
		t.Fatalf("a second member with the same token: got %d %q, want 409 conflict; body %s", status, e.Code, body)
	}
	// Another cluster does not make the token another's either.
	dbJoin, err := svc.client.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.client.WithToken(dbJoin.Token).Register(ctx, "db", registry.RegisterRequest{InstanceID: "i-clone", MemberToken: shared}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("same token in another cluster: got %v, want conflict", err)
	}
	// The original still registers again with it (idempotent), and once
	// it is gone, the token is free.
	if r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-original", MemberToken: shared}); err != nil || r.Created {
		t.Fatalf("repeat of the original: %+v, %v", r, err)
	}
	if _, err := svc.client.WithToken(shared).Deregister(ctx, "web", "i-original"); err != nil {
		t.Fatal(err)
	}
	if r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-clone", MemberToken: shared}); err != nil || !r.Created {
		t.Fatalf("token freed by deregistration: %+v, %v", r, err)
	}
	ms, err := svc.client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].InstanceID != "i-clone" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

// TestMemberTokenUniqueInOneBatch: clones booting together land in one
// group-commit batch; exactly one of them gets the token.
func TestMemberTokenUniqueInOneBatch(t *testing.T) {
	svc := newService(t, nil, registry.Options{})
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
			_, err := svc.store.Register(ctx, "web", svc.join, registry.RegisterRequest{InstanceID: fmt.Sprintf("i-clone-%d", i), MemberToken: shared})
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

// TestMigrationSharedTokens: a database written before member tokens were
// unique may hold members sharing one. The migration takes the token from
// all of them (none can deregister the others), keeps the members, and
// the unique index then refuses duplicates even from plain SQL.
func TestMigrationSharedTokens(t *testing.T) {
	db := nodetest.Start(t).DB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, registry.Migrations[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	shared := mustToken(t, registry.MemberTokenPrefix)
	own := mustToken(t, registry.MemberTokenPrefix)
	for _, m := range []struct{ id, tok string }{{"i-a", shared}, {"i-b", shared}, {"i-c", own}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', ?, '', '{}', '', ?, 1, 1)`, m.id, registry.HashToken(m.tok)); err != nil {
			t.Fatal(err)
		}
	}
	svc := newService(t, db, registry.Options{})
	ms, err := svc.client.Members(ctx, "web")
	if err != nil || len(ms) != 3 {
		t.Fatalf("members after migration: %+v, %v", ms, err)
	}
	member := func(tok string) *registry.Client { return svc.client.WithToken(tok) }
	if _, err := member(shared).Deregister(ctx, "web", "i-b"); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("a shared token deregistering after the migration: got %v, want forbidden", err)
	}
	if r, err := member(own).Deregister(ctx, "web", "i-c"); err != nil || !r.Deregistered {
		t.Fatalf("an unshared token after the migration: %+v, %v", r, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', 'i-x', '', '{}', '', ?, 1, 1), ('web', 'i-y', '', '{}', '', ?, 1, 1)`,
		registry.HashToken(own), registry.HashToken(own)); err == nil {
		t.Fatal("the database took two members with one token hash: no unique index")
	}
}
