package leasetest

import (
	"testing"

	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sqlite"
	"github.com/portolan-dev/portolan/storetest"
)

// Allocator returns an allocator with default options on a new SQLite
// store of its own, and that store, for tests of the verbs that grant and
// release; the store is closed when the test ends.
func Allocator(tb testing.TB) (*lease.Allocator, *sqlite.DB) {
	tb.Helper()
	db := storetest.SQLite(tb)
	return lease.New(db, lease.Options{}), db
}
