package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
	"github.com/portolan-dev/portolan/storetest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "portolan.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) portolan.Store { return open(t) })
}
