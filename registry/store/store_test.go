package store_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"database is locked", errors.New("database is locked"), true},
		{"busy, wrapped", fmt.Errorf("exec: %w", errors.New("database is busy")), true},
		{"not leader", errors.New("not leader"), true},
		{"leadership lost", errors.New("leadership lost"), true},
		{"no leader", errors.New("no available dqlite leader server found"), true},
		{"bad conn", fmt.Errorf("commit: %w", driver.ErrBadConn), true},
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"constraint", errors.New("UNIQUE constraint failed: members.cluster, members.instance_id"), false},
		{"syntax", errors.New(`near "SELEC": syntax error`), false},
		{"api error", &registry.Error{Code: registry.CodeUnavailable, Message: "registry: connection refused"}, false},
		{"io.EOF, wrapped", fmt.Errorf("read answer: %w", io.EOF), true},
		{"io.ErrUnexpectedEOF, wrapped", fmt.Errorf("read row: %w", io.ErrUnexpectedEOF), true},
		{"connection refused (errno)", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"connection reset (errno)", &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}, true},
		{"broken pipe (errno)", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"eof inside a word", errors.New(`no such column: geofence`), false},
		{"eof in a user's value", errors.New(`CHECK constraint failed: label "eof"`), false},
		{"EOF as text only", errors.New("unexpected EOF in the schema file"), false},
		{"connection refused as text only", errors.New("label value: connection refused"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.IsTransient(tc.err); got != tc.want {
				t.Fatalf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
