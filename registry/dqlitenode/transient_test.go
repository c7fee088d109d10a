package dqlitenode_test

import (
	"context"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/canonical/go-dqlite/driver"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
)

func TestIsTransient(t *testing.T) {
	// A real error from a real node: a constraint violation is final.
	db := nodetest.Start(t).DB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES ('eof')`); err != nil {
		t.Fatal(err)
	}
	_, dup := db.ExecContext(ctx, `INSERT INTO t VALUES ('eof')`)
	var de driver.Error
	if !errors.As(dup, &de) {
		t.Fatalf("a duplicate key gave %T %v, want a driver.Error", dup, dup)
	}
	_, syntax := db.ExecContext(ctx, `SELEC 1`)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"real constraint violation", dup, false},
		{"real syntax error", syntax, false},
		{"busy", driver.Error{Code: driver.ErrBusy, Message: "database is busy"}, true},
		{"busy snapshot, wrapped", fmt.Errorf("commit: %w", driver.Error{Code: driver.ErrBusySnapshot, Message: "x"}), true},
		{"locked", driver.Error{Code: 6, Message: "database table is locked"}, true},
		{"not leader", driver.Error{Code: 10 | 40<<8, Message: "not leader"}, true},
		{"leadership lost (legacy code)", driver.Error{Code: 10 | 33<<8, Message: "leadership lost"}, true},
		{"other I/O error", driver.Error{Code: 10 | 3<<8, Message: "disk I/O error"}, false},
		{"constraint whose text says locked", driver.Error{Code: 19, Message: `CHECK constraint failed: "database is locked"`}, false},
		{"no leader", fmt.Errorf("connect: %w", driver.ErrNoAvailableLeader), true},
		{"bad connection", fmt.Errorf("exec: %w", sqldriver.ErrBadConn), true},
		{"api error", &registry.Error{Code: registry.CodeUnavailable, Message: "registry: busy"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dqlitenode.IsTransient(tc.err); got != tc.want {
				t.Fatalf("IsTransient(%T %v) = %v, want %v", tc.err, tc.err, got, tc.want)
			}
		})
	}
}
