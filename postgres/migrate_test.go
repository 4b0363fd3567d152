package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

// A database written before leases were per host keeps every lease through
// the migration, and a port becomes unique per host instead of fleet-wide.
func TestMigrateLeasesToPerHost(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	v1, err := os.ReadFile("migrations/001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		string(v1),
		"CREATE TABLE portolan_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL DEFAULT now())",
		"INSERT INTO portolan_migrations (version, name) VALUES (1, '001_init.sql')",
		"INSERT INTO leases (port, pid, host) VALUES (5000, 42, 'old-host'), (5001, 43, 'old-host')",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("building a version 1 database: %v", err)
		}
	}
	conn.Close(ctx)

	db := open(t, dsn)
	if v, err := db.SchemaVersion(ctx); err != nil || v != newestMigration {
		t.Fatalf("SchemaVersion = %d, %v; want %d (the newest migration)", v, err, newestMigration)
	}
	ls, err := db.Leases(ctx)
	if err != nil || len(ls) != 2 || ls[0].PID != 42 || ls[0].Host != "old-host" || ls[0].HostID != "" || ls[1].Port != 5001 {
		t.Fatalf("leases after the migration: %+v, %v; want 5000 and 5001 as they were", ls, err)
	}
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 5000, HostID: "h"}}); err != nil {
		t.Errorf("port 5000 on another host: %v", err)
	}
	err = db.InsertLeases(ctx, []*portolan.Lease{{Port: 5001}})
	if portolan.ErrorCode(err) != portolan.ECONFLICT || portolan.ErrorMessage(err) != "port 5001 is already leased" {
		t.Errorf("port 5001 again on the old rows' host: %v, want ECONFLICT naming port 5001", err)
	}
}
