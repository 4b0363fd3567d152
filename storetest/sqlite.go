package storetest

import (
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan/sqlite"
)

// SQLite opens a new, empty SQLite store in the test's temporary directory
// and closes it when the test ends: the store tests of the verbs and the
// HTTP API run against.
func SQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "portolan.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
