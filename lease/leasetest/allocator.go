package leasetest

import (
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sqlite"
)

// Allocator returns an allocator with default options on a new SQLite
// store of its own, and that store, for tests of the verbs that grant and
// release; the store is closed when the test ends.
func Allocator(tb testing.TB) (*lease.Allocator, *sqlite.DB) {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "p.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return lease.New(db, lease.Options{}), db
}
