package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

// A network that stops passing packets between a server and PostgreSQL
// makes every store call fail within its bound (1 s here, plus the second
// of grace), reads, writes, leases, assignments and health alike; Close
// (what SIGTERM runs) returns; and once the network is back, calls work
// again on new connections. Before, each call waited on the silent
// connection for as long as TCP kept it.
func TestStalledNetworkFailsCallsWithinTheBound(t *testing.T) {
	dsn := pgtest.New(t)
	r := pgtest.NewRelay(t, dsn)
	const timeout = time.Second
	const limit = timeout + 2*time.Second // the bound, plus scheduling slack
	db, err := postgres.OpenOptions(context.Background(), r.DSN, postgres.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	ctx := context.Background()
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 20001, Proto: portolan.TCP}}); err != nil {
		t.Fatal(err)
	}
	port := portolan.Port(20100)
	calls := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"InsertLeases", func(ctx context.Context) error {
			port++
			return db.InsertLeases(ctx, []*portolan.Lease{{Port: port, Proto: portolan.TCP}})
		}},
		{"Leases", func(ctx context.Context) error { _, err := db.Leases(ctx); return err }},
		{"DeleteLeases", func(ctx context.Context) error { _, err := db.DeleteLeases(ctx, []int64{-1}); return err }},
		{"CreateAssignment", func(ctx context.Context) error {
			port++
			return db.CreateAssignment(ctx, &portolan.Assignment{Port: port, Proto: portolan.TCP, Name: "x"})
		}},
		{"Assignments", func(ctx context.Context) error {
			_, err := db.Assignments(ctx, portolan.AssignmentFilter{})
			return err
		}},
		{"Health", db.Health},
		{"Ping", db.Ping},
	}
	// Each call on a connection that worked a moment ago, then each again
	// needing a new connection (which the stalled relay accepts and then
	// leaves unanswered).
	for _, fresh := range []bool{false, true} {
		for _, c := range calls {
			if !fresh {
				r.Resume()
				if err := c.fn(ctx); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
			}
			r.Stall()
			start := time.Now()
			errc := make(chan error, 1)
			go func() { errc <- c.fn(ctx) }()
			select {
			case err := <-errc:
				if err == nil {
					t.Errorf("%s succeeded through a stalled network", c.name)
				}
				t.Logf("%s failed after %v: %v", c.name, time.Since(start).Round(time.Millisecond), err)
			case <-time.After(limit):
				t.Fatalf("%s still waiting after %v on a stalled network", c.name, limit)
			}
		}
	}

	r.Resume()
	for _, c := range calls {
		if err := c.fn(ctx); err != nil {
			t.Errorf("%s after the network came back: %v", c.name, err)
		}
	}

	// A call in flight when the network stalls, and Close behind it: Close
	// waits for that call's bound, then for the driver's cancel request on
	// a new (equally stalled, equally bounded) connection.
	r.Stall()
	go db.Leases(ctx)
	time.Sleep(50 * time.Millisecond)
	done := make(chan struct{})
	start := time.Now()
	go func() { db.Close(); close(done) }()
	select {
	case <-done:
		closed = true
		t.Logf("Close returned after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * limit):
		t.Fatalf("Close still waiting after %v on a stalled network", 2*limit)
	}
}
