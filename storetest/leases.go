package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

func testLeaseRoundTrip(t *testing.T, s portolan.Store) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	in := []*portolan.Lease{
		{Port: 40001, Proto: portolan.TCP, PID: 4242, PIDStart: 1 << 40, Label: "web tests", Expires: exp, Host: "ci-7", CreatedBy: "alice"},
		{Port: 40002, Proto: portolan.ProtoAny},
	}
	mustInsert(t, s, in...)
	for _, l := range in {
		if l.ID == 0 {
			t.Errorf("lease on %d: ID not set", l.Port)
		}
		recent(t, "Created", l.Created)
	}
	if in[0].ID == in[1].ID {
		t.Errorf("two leases share ID %d", in[0].ID)
	}
	got, err := s.Leases(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Leases returned %d, want 2: %+v", len(got), got)
	}
	a := got[0]
	if a.ID != in[0].ID || a.Port != 40001 || a.Proto != portolan.TCP || a.PID != 4242 || a.PIDStart != 1<<40 ||
		a.Label != "web tests" || a.Host != "ci-7" || a.CreatedBy != "alice" || !a.Expires.Equal(exp) {
		t.Errorf("lease read back as %+v, want %+v", a, *in[0])
	}
	if !a.Created.Equal(in[0].Created) && a.Created.Sub(in[0].Created).Abs() > time.Millisecond {
		t.Errorf("Created read back as %v, stored %v", a.Created, in[0].Created)
	}
	if b := got[1]; !b.Expires.IsZero() || b.PID != 0 || b.Proto != portolan.ProtoAny {
		t.Errorf("lease without TTL or owner read back as %+v", b)
	}
}

func testLeasesOrdered(t *testing.T, s portolan.Store) {
	mustInsert(t, s, &portolan.Lease{Port: 50000}, &portolan.Lease{Port: 1025})
	mustInsert(t, s, &portolan.Lease{Port: 30000})
	if got, want := leasedPorts(t, s), []portolan.Port{1025, 30000, 50000}; !slices.Equal(got, want) {
		t.Errorf("Leases ports = %v, want %v", got, want)
	}
}

func testLeaseConflict(t *testing.T, s portolan.Store) {
	mustInsert(t, s, &portolan.Lease{Port: 41000, Label: "first"})
	err := s.InsertLeases(ctx(t), []*portolan.Lease{{Port: 41001}, {Port: 41000, Label: "second"}})
	wantCode(t, err, portolan.ECONFLICT)
	if got := leasedPorts(t, s); !slices.Equal(got, []portolan.Port{41000}) {
		t.Errorf("after a refused grant the store holds %v, want only 41000 (all or none)", got)
	}
	ls, _ := s.Leases(ctx(t))
	if len(ls) == 1 && ls[0].Label != "first" {
		t.Errorf("the refused grant overwrote the lease: %+v", ls[0])
	}
}

func testLeaseDuplicateInGrant(t *testing.T, s portolan.Store) {
	err := s.InsertLeases(ctx(t), []*portolan.Lease{{Port: 42000}, {Port: 42000}})
	wantCode(t, err, portolan.ECONFLICT)
	if got := leasedPorts(t, s); len(got) != 0 {
		t.Errorf("store holds %v after a grant naming one port twice, want nothing", got)
	}
}

func testDeleteLease(t *testing.T, s portolan.Store) {
	mustInsert(t, s, &portolan.Lease{Port: 43000}, &portolan.Lease{Port: 43001})
	if err := s.DeleteLease(ctx(t), "", 43000); err != nil {
		t.Fatalf("DeleteLease: %v", err)
	}
	wantCode(t, s.DeleteLease(ctx(t), "", 43000), portolan.ENOTFOUND)
	wantCode(t, s.DeleteLease(ctx(t), "", 9), portolan.ENOTFOUND)
	if got := leasedPorts(t, s); !slices.Equal(got, []portolan.Port{43001}) {
		t.Errorf("after release the store holds %v, want [43001]", got)
	}
	// The port can be leased again.
	mustInsert(t, s, &portolan.Lease{Port: 43000})
}

func testDeleteLeases(t *testing.T, s portolan.Store) {
	ls := []*portolan.Lease{{Port: 44000}, {Port: 44001}, {Port: 44002}}
	mustInsert(t, s, ls...)
	n, err := s.DeleteLeases(ctx(t), []int64{ls[0].ID, ls[2].ID, ls[2].ID + 1000})
	if err != nil || n != 2 {
		t.Fatalf("DeleteLeases = %d, %v; want 2, nil", n, err)
	}
	if n, err := s.DeleteLeases(ctx(t), []int64{ls[0].ID}); err != nil || n != 0 {
		t.Errorf("DeleteLeases of a gone ID = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.DeleteLeases(ctx(t), nil); err != nil || n != 0 {
		t.Errorf("DeleteLeases(nil) = %d, %v; want 0, nil", n, err)
	}
	if got := leasedPorts(t, s); !slices.Equal(got, []portolan.Port{44001}) {
		t.Errorf("store holds %v, want [44001]", got)
	}
}

// testLeaseRace: many clients grant the same port at once; exactly one
// wins and every other gets ECONFLICT.
func testLeaseRace(t *testing.T, s portolan.Store) {
	for round := range 5 {
		port := portolan.Port(45000 + round)
		OneWins(t, fmt.Sprintf("grants of port %d", port), 16, func(i int) error {
			return s.InsertLeases(ctx(t), []*portolan.Lease{{Port: port, PID: i + 1}})
		})
	}
	if got := leasedPorts(t, s); len(got) != 5 {
		t.Errorf("store holds %v, want 5 leases", got)
	}
}

// testLeaseIDsNotReused: reclaim deletes by ID from a snapshot, so an ID
// must never come back for a newer lease.
func testLeaseIDsNotReused(t *testing.T, s portolan.Store) {
	a := &portolan.Lease{Port: 46000}
	mustInsert(t, s, a)
	if err := s.DeleteLease(ctx(t), "", 46000); err != nil {
		t.Fatal(err)
	}
	b := &portolan.Lease{Port: 46000}
	mustInsert(t, s, b)
	if b.ID == a.ID {
		t.Fatalf("a new lease got the deleted lease's ID %d", a.ID)
	}
	if n, _ := s.DeleteLeases(ctx(t), []int64{a.ID}); n != 0 {
		t.Errorf("deleting the old ID removed the new lease")
	}
}

// testLeasesPerHost: a port is leased once per host, not once across the
// fleet; a release on one host leaves the other host's lease alone.
func testLeasesPerHost(t *testing.T, s portolan.Store) {
	mustInsert(t, s, &portolan.Lease{Port: 47000, HostID: "host-a", PID: 10})
	mustInsert(t, s, &portolan.Lease{Port: 47000, HostID: "host-b", PID: 20})
	err := s.InsertLeases(ctx(t), []*portolan.Lease{{Port: 47000, HostID: "host-a"}})
	wantCode(t, err, portolan.ECONFLICT)
	if !strings.Contains(portolan.ErrorMessage(err), "port 47000 ") {
		t.Errorf("conflict message %q does not name port 47000", portolan.ErrorMessage(err))
	}
	ls, err := s.Leases(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].HostID == ls[1].HostID || ls[0].HostID == "" || ls[1].HostID == "" {
		t.Fatalf("leases %+v, want port 47000 once on host-a and once on host-b", ls)
	}
	wantCode(t, s.DeleteLease(ctx(t), "host-c", 47000), portolan.ENOTFOUND)
	if err := s.DeleteLease(ctx(t), "host-a", 47000); err != nil {
		t.Fatal(err)
	}
	ls, _ = s.Leases(ctx(t))
	if len(ls) != 1 || ls[0].HostID != "host-b" || ls[0].PID != 20 {
		t.Errorf("after releasing host-a's lease the store holds %+v, want host-b's only", ls)
	}
}

// testReservations: the record of kernel reservations, per host.
func testReservations(t *testing.T, s portolan.Store) {
	rs, ok := s.(portolan.ReservationStore)
	if !ok {
		t.Fatalf("%T does not record kernel reservations (portolan.ReservationStore)", s)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rs.AddReservations(ctx(t), "host-a", []portolan.Port{30001, 30000}))
	must(rs.AddReservations(ctx(t), "host-a", []portolan.Port{30001, 30002}))
	must(rs.AddReservations(ctx(t), "host-b", []portolan.Port{30000}))
	must(rs.DeleteReservations(ctx(t), "host-a", []portolan.Port{30000, 39999}))
	got, err := rs.Reservations(ctx(t), "host-a")
	must(err)
	if !slices.Equal(got, []portolan.Port{30001, 30002}) {
		t.Errorf("host-a's reservations = %v, want [30001 30002]", got)
	}
	got, err = rs.Reservations(ctx(t), "host-b")
	must(err)
	if !slices.Equal(got, []portolan.Port{30000}) {
		t.Errorf("host-b's reservations = %v, want [30000]", got)
	}
	got, err = rs.Reservations(ctx(t), "host-c")
	if err != nil || len(got) != 0 {
		t.Errorf("an unknown host's reservations = %v, %v; want none", got, err)
	}
}
