package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
)

// A database written before leases were per host keeps every lease through
// the migration, and the id sequence stays where it was: reclaim deletes by
// id, so the id of a lease deleted before the upgrade must not come back.
func TestMigrateLeasesToPerHost(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	v1, err := os.ReadFile("migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		string(v1),
		"CREATE TABLE portolan_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)",
		"INSERT INTO portolan_migrations VALUES (1, '001_init.sql', 0)",
		"INSERT INTO leases (port, pid, created, host) VALUES (5000, 42, 1, 'old-host'), (5001, 43, 1, 'old-host'), (5002, 44, 1, 'old-host')",
		"DELETE FROM leases WHERE port = 5002",
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("building a version 1 database: %v", err)
		}
	}
	raw.Close()

	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != newestMigration {
		t.Fatalf("SchemaVersion = %d, %v; want %d (the newest migration)", v, err, newestMigration)
	}
	ls, err := db.Leases(ctx)
	if err != nil || len(ls) != 2 || ls[0].ID != 1 || ls[0].PID != 42 || ls[0].Host != "old-host" || ls[0].HostID != "" || ls[1].Port != 5001 {
		t.Fatalf("leases after the migration: %+v, %v; want 5000 and 5001 as they were", ls, err)
	}
	l := &portolan.Lease{Port: 5003, HostID: "h"}
	if err := db.InsertLeases(ctx, []*portolan.Lease{l}); err != nil {
		t.Fatal(err)
	}
	if l.ID <= 3 {
		t.Errorf("a new lease got id %d, at or below the deleted lease's 3", l.ID)
	}
	// Per host: port 5000 is free on host h.
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 5000, HostID: "h"}}); err != nil {
		t.Errorf("port 5000 on another host: %v", err)
	}
}
