package store_test

import (
	"context"
	"strings"
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
	if _, err := db.ExecContext(ctx, `INSERT INTO members (cluster, instance_id, address, labels, user_data_sha256, token_hash, registered_at, updated_at) VALUES ('web', 'i-x', '', '{}', '', ?, 1, 1), ('web', 'i-y', '', '{}', '', ?, 1, 1)`,
		store.HashToken(own), store.HashToken(own)); err == nil {
		t.Fatal("the database took two members with one token hash: no unique index")
	} else if !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("the duplicate was refused for another reason: %v", err)
	}
}

// TestMigrationLeases: members of a database from before leases get their
// last registration as their last renewal, so that setting a lease later
// starts from there; the schema takes a lease and a renewal.
func TestMigrationLeases(t *testing.T) {
	db := nodetest.Start(t).DB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := db.ExecContext(ctx, store.Migrations[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, i+1); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := registry.NewToken(registry.MemberTokenPrefix)
	if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', 'i-a', '', '{}', '', ?, 1000, 2000)`, store.HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO released_ids VALUES ('web', 'i-old', 'h', 5)`); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].RenewedAt.UnixNano() != 2000 {
		t.Fatalf("members after migration: %+v, %v", ms, err)
	}
	var reason string
	if err := db.QueryRowContext(ctx, `SELECT reason FROM released_ids WHERE instance_id = 'i-old'`).Scan(&reason); err != nil || reason != "deregistered" {
		t.Fatalf("reason of an old released id: %q, %v", reason, err)
	}
	if r, err := st.Renew(ctx, "web", "i-a", tok); err != nil || !r.Renewed || !r.ExpiresAt.IsZero() {
		t.Fatalf("renew without a lease: %+v, %v", r, err)
	}
}

// TestMigrationChanges: a database from before the change index keeps its
// members; the index starts at 0 (a watcher lists first) and the first
// change after the migration is 1.
func TestMigrationChanges(t *testing.T) {
	db := nodetest.Start(t).DB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := db.ExecContext(ctx, store.Migrations[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, i+1); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := registry.NewToken(registry.MemberTokenPrefix)
	if _, err := db.ExecContext(ctx, `INSERT INTO members VALUES ('web', 'i-a', '', '{}', '', ?, 1000, 2000, 2000)`, store.HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if idx, err := st.ChangeIndex(ctx); err != nil || idx != 0 {
		t.Fatalf("index after the migration: %d, %v", idx, err)
	}
	if ms, err := st.Members(ctx, "web"); err != nil || len(ms) != 1 {
		t.Fatalf("members after the migration: %+v, %v", ms, err)
	}
	if r, err := st.Deregister(ctx, "web", "i-a", tok); err != nil || !r.Deregistered {
		t.Fatal(r, err)
	}
	got, err := st.Changes(ctx, "web", 0, 0)
	if err != nil || len(got.Changes) != 1 || got.Changes[0].Seq != 1 || got.Changes[0].Kind != registry.ChangeLeft || got.Index != 1 {
		t.Fatalf("changes after the migration: %+v, %v", got, err)
	}
}
