package postgres

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

// A database that answers but takes no writes (here: sessions read-only by
// default, as on a standby or after an operator's lock-down) passes Ping
// and fails Health, so /healthz stops sending traffic to a server whose
// grants would all fail.
func TestHealthReportsAReadOnlyDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dsn := pgtest.New(t)
	db, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Health(ctx); err != nil {
		t.Fatalf("Health of a writable database: %v", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	db.pool.Reset() // new sessions pick the setting up
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping of the read-only database: %v", err)
	}
	if err := db.Health(ctx); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Health of a read-only database = %v; want it to say read-only", err)
	}
}
