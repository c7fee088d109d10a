package dqlitenode

import (
	"errors"

	"github.com/canonical/go-dqlite/driver"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// SQLite and dqlite result codes that mean "try again".
const (
	sqliteBusy   = 5  // SQLITE_BUSY and its extended codes
	sqliteLocked = 6  // SQLITE_LOCKED and its extended codes
	sqliteIOErr  = 10 // dqlite reports leadership changes as IOERR variants

	ioErrNotLeader            = sqliteIOErr | 40<<8
	ioErrLeadershipLost       = sqliteIOErr | 41<<8
	ioErrNotLeaderLegacy      = sqliteIOErr | 32<<8
	ioErrLeadershipLostLegacy = sqliteIOErr | 33<<8
)

// IsTransient reports whether err, from a database on a dqlite node, is
// worth retrying: a dqlite error whose SQLite result code is BUSY or
// LOCKED (any extended code) or a not-leader / leadership-lost I/O error,
// no leader being available (driver.ErrNoAvailableLeader), or anything
// [store.IsTransient] recognises (broken connections, EOF). Any other
// dqlite error — a constraint, a syntax error — is not. Give it to
// store.Options.Transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *registry.Error
	if errors.As(err, &apiErr) {
		return false
	}
	var de driver.Error
	if errors.As(err, &de) {
		switch de.Code {
		case ioErrNotLeader, ioErrLeadershipLost, ioErrNotLeaderLegacy, ioErrLeadershipLostLegacy:
			return true
		}
		switch de.Code & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
		return false
	}
	if errors.Is(err, driver.ErrNoAvailableLeader) {
		return true
	}
	return store.IsTransient(err)
}
