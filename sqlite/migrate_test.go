package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
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

// serve --report-self's hosts, reported with the token "self" before
// migration 005, keep reporting: their reporter becomes "self@HOST_ID", the
// name the token has now; an agent's host keeps its token's name.
func TestMigrateReportSelfHosts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v4.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	qs := []string{"CREATE TABLE portolan_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)"}
	for v, name := range []string{"001_init.sql", "002_lease_hosts.sql", "003_named_ports.sql", "004_fleet.sql"} {
		b, err := os.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, string(b), fmt.Sprintf("INSERT INTO portolan_migrations VALUES (%d, '%s', 0)", v+1, name))
	}
	qs = append(qs, "INSERT INTO fleet_hosts (id, name, reporter, first_seen, last_seen) VALUES ('m-self', 'srv', 'self', 1, 1), ('m-db', 'db', 'db-1', 1, 1)")
	for _, q := range qs {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("building a version 4 database: %v", err)
		}
	}
	raw.Close()

	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hs, err := db.FleetHosts(ctx)
	if err != nil || len(hs) != 2 {
		t.Fatalf("hosts after the migration: %+v, %v", hs, err)
	}
	for _, h := range hs {
		want := map[string]string{"m-self": "self@m-self", "m-db": "db-1"}[h.ID]
		if h.Reporter != want {
			t.Errorf("host %s reports with %q after the migration, want %q", h.ID, h.Reporter, want)
		}
	}
	if got, err := db.BindAgent(ctx, "self@m-self", "m-self"); err != nil || got != "m-self" {
		t.Errorf("the self token after the migration: tied to %q, %v; want m-self", got, err)
	}
}
