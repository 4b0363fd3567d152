package lease_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// The host id is stable, names the machine and both namespaces, and is
// not the host name.
func TestHostID(t *testing.T) {
	id := lease.HostID()
	if id != lease.HostID() {
		t.Fatalf("HostID changed between calls: %q, %q", id, lease.HostID())
	}
	for _, want := range []string{"/pid:", "/net:"} {
		if !strings.Contains(id, want) {
			t.Errorf("HostID %q does not name the %s namespace", id, strings.Trim(want, "/:"))
		}
	}
	if h, _ := os.Hostname(); strings.HasPrefix(id, h+"/") || strings.HasPrefix(id, "host:") {
		if _, err := os.Stat("/etc/machine-id"); err == nil {
			t.Errorf("HostID %q is built on the host name while /etc/machine-id exists", id)
		}
	}
	if os.Geteuid() != 0 {
		return
	}
	// Another network namespace is another host: its ports are its own.
	child := exec.Command("unshare", "--net", os.Args[0], "-test.run=^TestHostIDPrint$")
	child.Env = append(os.Environ(), "PORTOLAN_LEASE_PRINT_HOSTID=1")
	out, err := child.Output()
	if err != nil {
		t.Fatalf("unshare --net: %v", err)
	}
	other := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(out)), "PASS"))
	if other == "" || other == id || !strings.HasPrefix(other, id[:strings.Index(id, "/net:")]) {
		t.Errorf("HostID in a new network namespace = %q, want the same machine and pid namespace as %q with another net", other, id)
	}
}

// TestHostIDPrint prints the host id for TestHostID's child.
func TestHostIDPrint(t *testing.T) {
	if os.Getenv("PORTOLAN_LEASE_PRINT_HOSTID") != "" {
		fmt.Println(lease.HostID())
	}
}
