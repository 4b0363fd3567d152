package http_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Two servers over one PostgreSQL database, two clients assigning the same
// port through different servers at the same instant: exactly one wins,
// the loser is told who holds it, and both servers then agree.
func TestTwoServersOnePostgres(t *testing.T) {
	dsn := pgtest.New(t)
	var envs []*env
	for range 2 {
		db, err := postgres.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		envs = append(envs, newEnv(t, db, nil))
	}
	ctx := context.Background()
	for round := range 10 {
		port := portolan.Port(7100 + round)
		storetest.OneWins(t, fmt.Sprintf("round %d: assigners of %d/tcp", round, port), len(envs), func(i int) error {
			_, err := envs[i].admin.Assign(ctx, &portolan.Assignment{Port: port, Proto: portolan.TCP, Name: fmt.Sprintf("svc-%d", i)}, false)
			return err
		})
	}
	a, _ := envs[0].anon.Assignments(ctx, portolan.AssignmentFilter{})
	b, _ := envs[1].anon.Assignments(ctx, portolan.AssignmentFilter{})
	if len(a) != 10 || len(b) != 10 {
		t.Fatalf("servers see %d and %d assignments, want 10 each", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("servers disagree: %+v vs %+v", a[i], b[i])
		}
	}
	// An unassign through one server is visible through the other's API.
	if err := envs[0].admin.Unassign(ctx, 7100, portolan.TCP, ""); err != nil {
		t.Fatal(err)
	}
	p := portolan.Port(7100)
	if got, _ := envs[1].anon.Assignments(ctx, portolan.AssignmentFilter{Port: &p}); len(got) != 0 {
		t.Fatalf("server 2 still lists 7100/tcp: %+v", got)
	}
	audit, _ := envs[1].anon.Audit(ctx, 1)
	if len(audit) != 1 || audit[0].Action != "unassign" || audit[0].Actor != "alice (token ci)" {
		t.Fatalf("server 2's audit = %+v", audit)
	}
}
