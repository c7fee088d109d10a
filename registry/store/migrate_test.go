package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

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
	if _, err := db.ExecContext(ctx, store.Migrations[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	shared, _ := registry.NewToken(registry.MemberTokenPrefix)
	own, _ := registry.NewToken(registry.MemberTokenPrefix)
	for _, m := range []struct{ id, tok string }{{"i-a", shared}, {"i-b", shared}, {"i-c", own}} {
		if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', ?, '', '{}', '', ?, 1, 1)`, m.id, store.HashToken(m.tok)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.Members(ctx, "web")
	if err != nil || len(ms) != 3 {
		t.Fatalf("members after migration: %+v, %v", ms, err)
	}
	if r, err := st.Deregister(ctx, "web", "i-b", shared); err != nil || r.Deregistered {
		t.Fatalf("a shared token deregistering after the migration: got %+v, %v, want not deregistered", r, err)
	}
	if r, err := st.Deregister(ctx, "web", "i-c", own); err != nil || !r.Deregistered {
		t.Fatalf("an unshared token after the migration: %+v, %v", r, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', 'i-x', '', '{}', '', ?, 1, 1), ('web', 'i-y', '', '{}', '', ?, 1, 1)`,
		store.HashToken(own), store.HashToken(own)); err == nil {
		t.Fatal("the database took two members with one token hash: no unique index")
	}
}
