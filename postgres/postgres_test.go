package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Servers starting together against an empty database migrate it once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	db := open(t, dsn)
	v, err := db.SchemaVersion(context.Background())
	if err != nil || v != newestMigration {
		t.Fatalf("SchemaVersion = %d, %v; want %d (the newest migration)", v, err, newestMigration)
	}
}

func TestOpenRejectsBadDSN(t *testing.T) {
	_, err := postgres.Open("postgres://u:secret@[::1")
	if portolan.ErrorCode(err) != portolan.EINVALID || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open(bad DSN) = %v; want EINVALID without the password", err)
	}
}

// Two servers (two pools) over one database: a lease or an assignment
// taken through one is refused through the other.
func TestTwoServersShareOneDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	a, b := open(t, dsn), open(t, dsn)

	l := &portolan.Lease{Port: 20001, Proto: portolan.TCP, PID: 42, PIDStart: 7, Label: "x", Expires: time.Now().Add(time.Hour)}
	if err := a.InsertLeases(ctx, []*portolan.Lease{l}); err != nil || l.ID == 0 || l.Created.IsZero() {
		t.Fatalf("InsertLeases on a = %v (lease %+v)", err, l)
	}
	err := b.InsertLeases(ctx, []*portolan.Lease{{Port: 20002}, {Port: 20001}})
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "port 20001 is already leased") {
		t.Fatalf("InsertLeases on b = %v; want ECONFLICT naming 20001", err)
	}
	ls, err := b.Leases(ctx)
	if err != nil || len(ls) != 1 || ls[0].Port != 20001 || ls[0].PIDStart != 7 || ls[0].Expires.IsZero() {
		t.Fatalf("Leases on b = %+v, %v; want only 20001 (the failed grant left nothing)", ls, err)
	}

	as := &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", CreatedBy: "alice"}
	if err := a.CreateAssignment(ctx, as); err != nil {
		t.Fatal(err)
	}
	err = b.CreateAssignment(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ledger"})
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "7001/tcp is already assigned to billing") {
		t.Fatalf("CreateAssignment on b = %v; want ECONFLICT naming billing", err)
	}
	if err := b.DeleteAssignment(ctx, 7001, portolan.TCP, "bob"); err != nil {
		t.Fatal(err)
	}
	audit, err := a.Audit(ctx, 10)
	if err != nil || len(audit) != 2 || audit[0].Action != "unassign" || audit[0].Actor != "bob" || audit[1].Actor != "alice" {
		t.Fatalf("Audit = %+v, %v; want bob's unassign then alice's assign", audit, err)
	}
}

// Two clients assigning the same port at the same instant through two
// servers: exactly one wins.
func TestAssignmentRaceAcrossServers(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	dbs := []*postgres.DB{open(t, dsn), open(t, dsn)}
	for round := range 20 {
		port := portolan.Port(9000 + round)
		storetest.OneWins(t, fmt.Sprintf("round %d: writers of %d/udp", round, port), 8, func(i int) error {
			return dbs[i%2].CreateAssignment(ctx, &portolan.Assignment{Port: port, Proto: portolan.UDP, Name: "svc"})
		})
	}
	as, _ := dbs[0].Assignments(ctx, portolan.AssignmentFilter{Proto: portolan.UDP})
	audit, _ := dbs[1].Audit(ctx, 0)
	if len(as) != 20 || len(audit) != 20 {
		t.Fatalf("%d assignments and %d audit entries, want 20 of each (one per winner)", len(as), len(audit))
	}
}

func TestAssignmentsFilterAndOrder(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.New(t))
	for _, a := range []portolan.Assignment{
		{Port: 8000, Proto: portolan.UDP, Name: "b", Owner: "x"},
		{Port: 8000, Proto: portolan.TCP, Name: "a", Owner: "y"},
		{Port: 7000, Proto: portolan.SCTP, Name: "c", Owner: "x", Hosts: "db-*", Note: "n"},
	} {
		if err := db.CreateAssignment(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil || len(all) != 3 || all[0].Port != 7000 || all[1].Proto != portolan.TCP || all[2].Proto != portolan.UDP {
		t.Fatalf("Assignments = %+v, %v; want ordered by port then tcp, udp", all, err)
	}
	if all[0].Hosts != "db-*" || all[0].Note != "n" || all[0].Created.Location() != time.UTC {
		t.Errorf("fields did not round-trip: %+v", all[0])
	}
	p := portolan.Port(8000)
	for _, tc := range []struct {
		f    portolan.AssignmentFilter
		want int
	}{
		{portolan.AssignmentFilter{Owner: "x"}, 2},
		{portolan.AssignmentFilter{Port: &p}, 2},
		{portolan.AssignmentFilter{Port: &p, Proto: portolan.UDP}, 1},
		{portolan.AssignmentFilter{Name: "c"}, 1},
		{portolan.AssignmentFilter{Owner: "nobody"}, 0},
	} {
		got, err := db.Assignments(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("Assignments(%+v) = %d, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
	if err := db.DeleteAssignment(ctx, 1, portolan.TCP, "x"); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("DeleteAssignment(unassigned) = %v, want ENOTFOUND", err)
	}
	if err := db.DeleteLease(ctx, "", 1); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("DeleteLease(unleased) = %v, want ENOTFOUND", err)
	}
}
