package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/udkit/udkit/registry"
)

// migrations are the schema changes, in order; migration i brings the
// schema to version i+1. Never edit one that has shipped: append.
var migrations = []string{
	// 1: members, join tokens and admin tokens. Times are Unix
	// nanoseconds (UTC); token hashes are hex SHA-256; labels a JSON
	// object with sorted keys.
	`CREATE TABLE members (
		cluster          TEXT    NOT NULL,
		instance_id      TEXT    NOT NULL,
		address          TEXT    NOT NULL,
		labels           TEXT    NOT NULL,
		user_data_sha256 TEXT    NOT NULL,
		token_hash       TEXT    NOT NULL,
		registered_at    INTEGER NOT NULL,
		updated_at       INTEGER NOT NULL,
		PRIMARY KEY (cluster, instance_id)
	);
	CREATE TABLE join_tokens (
		cluster    TEXT    NOT NULL,
		id         TEXT    NOT NULL,
		hash       TEXT    NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (cluster, id)
	);
	CREATE TABLE admin_tokens (
		id         TEXT    PRIMARY KEY,
		hash       TEXT    NOT NULL,
		created_at INTEGER NOT NULL
	);`,
	// 2: a member token belongs to one member. Before this, instances
	// cloned from a registered one could register with the same token
	// and deregister each other: members that share a token hash lose it
	// (no token hashes to the placeholder), so only an admin can remove
	// them (or reconcile), and they register again with a new token.
	`UPDATE members SET token_hash = 'shared:' || cluster || '/' || instance_id
		WHERE token_hash IN (SELECT token_hash FROM members GROUP BY token_hash HAVING COUNT(*) > 1);
	CREATE UNIQUE INDEX members_token_hash ON members (token_hash);`,
	// 3: revoked admin tokens are remembered by id, so that a node that
	// finds a revoked token in its DATA/admin.token at start does not
	// bring it back.
	`CREATE TABLE revoked_admin_tokens (
		id         TEXT    PRIMARY KEY,
		revoked_at INTEGER NOT NULL
	);`,
	// 4: an instance id that its member deregistered stays bound to that
	// member's token: only the same token registers it again (the
	// instance, rebooting with its kept token), so that a join-token
	// holder cannot take the id meanwhile. An admin's deregistration of
	// the id, or a reconcile that finds it dead, forgets the binding.
	`CREATE TABLE released_ids (
		cluster     TEXT    NOT NULL,
		instance_id TEXT    NOT NULL,
		token_hash  TEXT    NOT NULL,
		released_at INTEGER NOT NULL,
		PRIMARY KEY (cluster, instance_id)
	);`,
	// 5: leases. A cluster in cluster_leases evicts members whose
	// renewed_at is more than ttl_ns ago. A member's renewed_at starts at
	// its last registration (existing members: their updated_at). An
	// evicted member's id stays bound to its token like a deregistered
	// one's; reason says which ("deregistered" or "expired").
	`ALTER TABLE members ADD COLUMN renewed_at INTEGER NOT NULL DEFAULT 0;
	UPDATE members SET renewed_at = updated_at;
	CREATE INDEX members_renewed ON members (cluster, renewed_at);
	CREATE TABLE cluster_leases (
		cluster    TEXT    PRIMARY KEY,
		ttl_ns     INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	ALTER TABLE released_ids ADD COLUMN reason TEXT NOT NULL DEFAULT 'deregistered';`,
	// 6: an admin token may belong to a node: the one a udkitd node mints
	// for itself on its first start (its DATA/admin.token) carries the
	// node's dqlite address, so that the admin token list says which
	// node's file it is; '' for tokens made through the API.
	`ALTER TABLE admin_tokens ADD COLUMN node TEXT NOT NULL DEFAULT '';`,
	// 7: the change index, for watches (watch.go). Every change of a
	// membership (joined, replaced, left, evicted, reconciled) adds a
	// row in the transaction that makes it; seq (AUTOINCREMENT: never
	// reused, even after pruning) orders them as the Raft log does. Old
	// rows are pruned to a window (Options.ChangeWindow); change_horizon
	// holds the highest seq pruned, so that a watcher behind it is told
	// to re-list. Members registered before this migration have no
	// change row: a watcher lists first.
	`CREATE TABLE changes (
		seq         INTEGER PRIMARY KEY AUTOINCREMENT,
		cluster     TEXT    NOT NULL,
		instance_id TEXT    NOT NULL,
		kind        TEXT    NOT NULL,
		at          INTEGER NOT NULL
	);
	CREATE INDEX changes_cluster ON changes (cluster, seq);
	CREATE TABLE change_horizon (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		through INTEGER NOT NULL
	);
	INSERT INTO change_horizon (id, through) VALUES (1, 0);`,
}

// SchemaVersion is the schema version this package writes.
var SchemaVersion = len(migrations)

// migrate brings the schema to SchemaVersion, one transaction per step, so
// that nodes starting together apply each step once.
func (s *Store) migrate(ctx context.Context) error {
	err := s.retry(ctx, "migrate: create schema_migrations", func(ctx context.Context) error {
		_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`)
		return err
	})
	if err != nil {
		return err
	}
	for {
		done := false
		err := s.retry(ctx, "migrate: schema", func(ctx context.Context) error {
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var v sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
				return err
			}
			cur := int(v.Int64)
			if cur > len(migrations) {
				return registry.Errorf(registry.CodeInternal, "migrate: the database has schema version %d, newer than this program's %d: upgrade it", cur, len(migrations))
			}
			if cur == len(migrations) {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[cur]); err != nil {
				return fmt.Errorf("migration %d: %w", cur+1, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, cur+1, s.opt.Now().UTC().UnixNano()); err != nil {
				return err
			}
			return tx.Commit()
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}
