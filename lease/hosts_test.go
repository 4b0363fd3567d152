package lease_test

import (
	"os/exec"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/postgres"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

// Two servers on two hosts share one PostgreSQL. Each host's owner PIDs
// mean nothing on the other: a sweep never deletes the other host's live
// leases, and a port is leased once per host, so both may lease the same one.
func TestSharedPostgresHostsKeepTheirLeases(t *testing.T) {
	dsn := pgtest.New(t)
	open := func() *postgres.DB {
		db, err := postgres.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	// Host B's owner is a PID that runs there but not here.
	dead := deadPID(t)
	alive := func(lease.Owner) bool { return true }
	a := lease.New(open(), lease.Options{Host: fakeHost, HostID: "host-a"})
	b := lease.New(open(), lease.Options{Host: fakeHost, HostID: "host-b", Alive: alive,
		OwnerOf: func(pid int) (lease.Owner, error) { return lease.Owner{PID: pid, Start: 1}, nil }})

	const pool = "21000-21004"
	lb, err := b.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool, Count: 5, PID: dead})
	if err != nil {
		t.Fatal(err)
	}
	// A's sweep sees the PID dead on its own host: it must not judge B's.
	if n, err := a.Reclaim(ctxT(t)); err != nil || n != 0 {
		t.Fatalf("host A's sweep = %d, %v; want 0 (host B's leases are not A's to judge)", n, err)
	}
	if live, _ := b.Leases(ctxT(t)); len(live) != 5 {
		t.Fatalf("host B has %d live leases after host A's sweep, want all 5", len(live))
	}
	// The same ports are free on host A.
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	la, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool, Count: 5, PID: sleeper.Process.Pid})
	if err != nil {
		t.Fatalf("host A leasing the ports host B holds: %v", err)
	}
	for i := range la {
		if la[i].HostID != "host-a" || lb[i].HostID != "host-b" {
			t.Errorf("leases carry hosts %q and %q", la[i].HostID, lb[i].HostID)
		}
	}
	// A release on host A leaves host B's lease on the same port alone.
	if err := a.Release(ctxT(t), la[0].Port); err != nil {
		t.Fatal(err)
	}
	if live, _ := b.Leases(ctxT(t)); len(live) != 5 {
		t.Errorf("host B has %d live leases after host A released one of its own, want 5", len(live))
	}
	// Host B's own sweep does reclaim them once their owner is gone there.
	dead2 := func(lease.Owner) bool { return false }
	b2 := lease.New(open(), lease.Options{Host: fakeHost, HostID: "host-b", Alive: dead2})
	if n, err := b2.Reclaim(ctxT(t)); err != nil || n != 5 {
		t.Errorf("host B's own sweep = %d, %v; want its 5 dead leases", n, err)
	}
	if live, _ := a.Leases(ctxT(t)); len(live) != 4 {
		t.Errorf("host A has %d live leases after host B's sweep, want 4", len(live))
	}
}
