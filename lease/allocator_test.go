package lease_test

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func TestGrantPolicy(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Count: 20, Label: "policy"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[portolan.Port]bool{}
	for _, l := range ls {
		if seen[l.Port] {
			t.Errorf("port %d granted twice in one grant", l.Port)
		}
		seen[l.Port] = true
		if l.Port < 1024 || l.Port >= 32768 {
			t.Errorf("port %d is outside the user pool minus the ephemeral range (1024-32767)", l.Port)
		}
		if l.ID == 0 || l.Label != "policy" || l.Created.IsZero() {
			t.Errorf("lease %+v lacks ID, label or creation time", l)
		}
		// The port really is free: it binds on TCP and UDP, both families.
		for _, nw := range []string{"tcp4", "tcp6"} {
			ln, err := net.Listen(nw, ":"+l.Port.String())
			if err != nil {
				t.Errorf("granted port %d does not bind %s: %v", l.Port, nw, err)
				continue
			}
			ln.Close()
		}
		c, err := net.ListenPacket("udp", ":"+l.Port.String())
		if err != nil {
			t.Errorf("granted port %d does not bind udp: %v", l.Port, err)
		} else {
			c.Close()
		}
	}
	live, err := a.Leases(ctxT(t))
	if err != nil || len(live) != 20 {
		t.Fatalf("Leases = %d, %v; want 20", len(live), err)
	}
}

// A port any socket holds, on any address of either family, is never granted.
func TestGrantSkipsHeldPorts(t *testing.T) {
	store, _ := openStore(t)
	var held []net.Listener
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("loopback %s unavailable: %v", addr, err)
		}
		defer ln.Close()
		held = append(held, ln)
	}
	ports := []portolan.Port{
		portolan.Port(held[0].Addr().(*net.TCPAddr).Port),
		portolan.Port(held[1].Addr().(*net.TCPAddr).Port),
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "0.0.0.0:0"} {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		ports = append(ports, portolan.Port(udp.LocalAddr().(*net.UDPAddr).Port))
	}
	// A TCP socket bound (not listening, no SO_REUSEADDR) on 127.0.0.1.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	ports = append(ports, portolan.Port(sa.(*syscall.SockaddrInet4).Port))
	for _, p := range ports {
		if lease.Bindable(p, portolan.ProtoAny) {
			t.Errorf("Bindable(%d) = true while a loopback socket holds it", p)
		}
	}
	for _, p := range ports {
		// A one-port pool around the held port: the bind check must refuse it.
		a := lease.New(store, lease.Options{Host: func() (portolan.Range, []portolan.Range) { return portolan.Range{}, nil }})
		_, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: p.String() + "-" + p.String()})
		if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "pool exhausted") {
			t.Errorf("port %d held by a loopback socket: Grant error = %v, want pool exhausted", p, err)
		}
	}
	// A socket the inventory reports is skipped even if the bind would pass.
	a := lease.New(store, lease.Options{Host: fakeHost,
		Held: func(_ context.Context, p portolan.Port, _ portolan.Proto) (bool, error) { return p == 20001, nil }})
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Count: 2, Pool: "20000-20002"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Port == 20001 {
			t.Error("granted 20001, which the inventory reports as held")
		}
	}
}

func TestGrantSkipsAssignedAndEphemeral(t *testing.T) {
	store, _ := openStore(t)
	// 20000-20009: IANA assigns the even ports; the organisation assigned 20003;
	// the host's ephemeral range covers 20005-20009; 20007 is reserved.
	if err := store.CreateAssignment(ctxT(t), &portolan.Assignment{Port: 20003, Proto: portolan.TCP, Name: "ours"}); err != nil {
		t.Fatal(err)
	}
	a := lease.New(store, lease.Options{
		Host:     func() (portolan.Range, []portolan.Range) { return portolan.Range{Lo: 20005, Hi: 20009}, nil },
		Assigned: func(p portolan.Port, _ portolan.Proto) bool { return p%2 == 0 },
	})
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "20000-20009"})
	if err != nil || ls[0].Port != 20001 {
		t.Fatalf("Grant = %v, %v; want only 20001 to qualify", ls, err)
	}
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "20000-20009"}); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Fatalf("second grant error = %v, want pool exhausted", err)
	}
	// --allow-assigned opens the IANA ports, never the organisation's own.
	ls, err = a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "20000-20009", Count: 3, Assigned: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Port == 20003 || l.Port >= 20005 {
			t.Errorf("granted %d with allow-assigned, want only 20000, 20002, 20004", l.Port)
		}
	}
}

func TestPoolExhausted(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Count: 6, Pool: "21000-21004"}); portolan.ErrorCode(err) != portolan.ECONFLICT ||
		!strings.Contains(err.Error(), "pool exhausted") {
		t.Fatalf("6 ports from a 5-port pool: error = %v, want ECONFLICT pool exhausted", err)
	}
	if ls, _ := store.Leases(ctxT(t)); len(ls) != 0 {
		t.Fatalf("a refused grant left %d leases, want none (all or none)", len(ls))
	}
	seen := map[portolan.Port]bool{}
	for range 5 {
		ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "21000-21004"})
		if err != nil {
			t.Fatal(err)
		}
		if seen[ls[0].Port] {
			t.Fatalf("port %d granted twice", ls[0].Port)
		}
		seen[ls[0].Port] = true
	}
	_, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "21000-21004"})
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "pool exhausted") {
		t.Fatalf("grant from a full pool: error = %v, want ECONFLICT pool exhausted", err)
	}
}

func TestNeverSamePortTwiceInARow(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	prev := portolan.Port(0)
	for range 10 {
		ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "22000-22001"})
		if err != nil {
			t.Fatal(err)
		}
		if ls[0].Port == prev {
			t.Fatalf("port %d handed out twice in a row", prev)
		}
		prev = ls[0].Port
		if err := a.Release(ctxT(t), prev); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Release(ctxT(t), prev); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("second release error = %v, want ENOTFOUND", err)
	}
}

func TestRandomStart(t *testing.T) {
	firsts := map[portolan.Port]bool{}
	for range 8 {
		store, _ := openStore(t)
		ls, err := lease.New(store, lease.Options{Host: fakeHost}).Grant(ctxT(t), portolan.LeaseRequest{})
		if err != nil {
			t.Fatal(err)
		}
		firsts[ls[0].Port] = true
	}
	if len(firsts) < 4 {
		t.Errorf("8 fresh allocators started at only %d distinct ports: %v", len(firsts), firsts)
	}
}

func TestRequestValidation(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	for _, req := range []portolan.LeaseRequest{
		{Count: -1}, {Count: lease.MaxCount + 1}, {Proto: portolan.SCTP}, {TTL: -time.Second},
		{Pool: "bogus"}, {PID: 1 << 30},
	} {
		if _, err := a.Grant(ctxT(t), req); portolan.ErrorCode(err) != portolan.EINVALID {
			t.Errorf("Grant(%+v) error = %v, want EINVALID", req, err)
		}
	}
}

// A child process takes a lease and is killed: its port comes back.
func TestDeadOwnerReclaimed(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{PID: child.Process.Pid, Pool: "23000-23000"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := a.Reclaim(ctxT(t)); err != nil || n != 0 {
		t.Fatalf("Reclaim with a live owner = %d, %v; want 0", n, err)
	}
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "23000-23000"}); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Fatalf("the only port is leased to a live child, yet Grant error = %v", err)
	}
	child.Process.Kill()
	child.Wait()
	if live, _ := a.Leases(ctxT(t)); len(live) != 0 {
		t.Errorf("Leases lists %v after its owner died", live)
	}
	if n, err := a.Reclaim(ctxT(t)); err != nil || n != 1 {
		t.Fatalf("Reclaim after the owner died = %d, %v; want 1", n, err)
	}
	again, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "23000-23000"})
	if err != nil || again[0].Port != ls[0].Port {
		t.Fatalf("Grant after reclaim = %v, %v; want port %d back", again, err, ls[0].Port)
	}
}

// A zombie (killed, not yet reaped) already counts as dead.
func TestZombieOwnerIsDead(t *testing.T) {
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	o, err := lease.OwnerOf(child.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	child.Process.Kill()
	defer child.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for lease.Alive(o) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if lease.Alive(o) {
		t.Fatal("a killed, unreaped child still counts as alive")
	}
}

// A PID reused by a new process does not inherit a lease: the stored start
// tick differs from the running process's.
func TestReusedPIDDoesNotInherit(t *testing.T) {
	store, _ := openStore(t)
	self, err := lease.OwnerOf(portolanPID())
	if err != nil {
		t.Fatal(err)
	}
	// The lease was granted to an earlier process with our PID.
	err = store.InsertLeases(ctxT(t), []*portolan.Lease{
		{Port: 24000, PID: self.PID, PIDStart: self.Start - 1, HostID: lease.HostID()},
		{Port: 24001, PID: self.PID, PIDStart: self.Start, HostID: lease.HostID()},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := lease.New(store, lease.Options{Host: fakeHost})
	if n, err := a.Reclaim(ctxT(t)); err != nil || n != 1 {
		t.Fatalf("Reclaim = %d, %v; want 1 (the earlier process's lease)", n, err)
	}
	ls, _ := store.Leases(ctxT(t))
	if len(ls) != 1 || ls[0].Port != 24001 {
		t.Fatalf("leases left %v, want only 24001 (ours)", ls)
	}
}

func TestTTLExpiry(t *testing.T) {
	store, _ := openStore(t)
	now := time.Now()
	a := lease.New(store, lease.Options{Host: fakeHost, Now: func() time.Time { return now }})
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "25000-25000", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(time.Minute); !ls[0].Expires.Equal(want.UTC()) {
		t.Errorf("Expires = %v, want %v", ls[0].Expires, want)
	}
	now = now.Add(59 * time.Second)
	if n, _ := a.Reclaim(ctxT(t)); n != 0 {
		t.Fatalf("reclaimed %d leases before the TTL", n)
	}
	now = now.Add(time.Second)
	if live, _ := a.Leases(ctxT(t)); len(live) != 0 {
		t.Errorf("an expired lease is still listed as live: %v", live)
	}
	if n, _ := a.Reclaim(ctxT(t)); n != 1 {
		t.Fatalf("reclaimed %d leases at the TTL, want 1", n)
	}
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "25000-25000"}); err != nil {
		t.Fatalf("the expired port did not come back: %v", err)
	}
}

// A pool full of leases whose owner died since the last sweep is not
// "exhausted": Grant sweeps once and hands the ports out again, to every one
// of many concurrent callers, without waiting for the periodic Reclaim. This
// is `portolan serve` after a test runner that held thousands of ports was
// killed.
func TestFullPoolOfDeadOwnerIsSwept(t *testing.T) {
	store, _ := openStore(t)
	clock := newClock()
	a := lease.New(store, lease.Options{Host: fakeHost, Now: clock.now})
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	const pool, size = "26000-26015", 16
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{PID: child.Process.Pid, Pool: pool, Count: size}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool}); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Fatalf("pool leased to a live child: Grant error = %v, want pool exhausted", err)
	}
	child.Process.Kill()
	child.Wait()
	// Sweeps take at most a fifth of the time: let the refused grant's
	// sweep age.
	clock.advance(time.Second)

	var wg sync.WaitGroup
	got := make(chan portolan.Port, size)
	errs := make(chan error, size)
	for range size {
		wg.Go(func() {
			ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool})
			if err != nil {
				errs <- err
				return
			}
			got <- ls[0].Port
		})
	}
	wg.Wait()
	close(got)
	close(errs)
	for err := range errs {
		t.Errorf("Grant after the owner died: %v", err)
	}
	seen := map[portolan.Port]bool{}
	for p := range got {
		if seen[p] {
			t.Errorf("port %d granted twice", p)
		}
		seen[p] = true
	}
	if len(seen) != size {
		t.Errorf("%d distinct ports granted, want all %d back", len(seen), size)
	}
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool}); portolan.ErrorCode(err) != portolan.ECONFLICT ||
		!strings.Contains(err.Error(), "pool exhausted") {
		t.Fatalf("pool full of live leases: Grant error = %v, want pool exhausted", err)
	}
}

// countingStore counts full reads of the leases.
type countingStore struct {
	portolan.LeaseStore
	reads atomic.Int64
}

func (s *countingStore) Leases(ctx context.Context) ([]portolan.Lease, error) {
	s.reads.Add(1)
	return s.LeaseStore.Leases(ctx)
}

// A pool that stays full of live leases does not cost every refused grant a
// full read of the store: sweeps are spaced out.
func TestFullPoolOfLiveLeasesIsNotSweptEachTime(t *testing.T) {
	db, _ := openStore(t)
	store := &countingStore{LeaseStore: db}
	a := lease.New(store, lease.Options{Host: fakeHost})
	const pool = "27000-27003"
	if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool, Count: 4, PID: portolanPID()}); err != nil {
		t.Fatal(err)
	}
	before := store.reads.Load()
	const refused = 200
	for range refused {
		if _, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool}); portolan.ErrorCode(err) != portolan.ECONFLICT {
			t.Fatalf("Grant from a pool of live leases: %v, want pool exhausted", err)
		}
	}
	if n := store.reads.Load() - before; n >= refused/2 {
		t.Errorf("%d refused grants read the whole store %d times; want sweeps spaced out", refused, n)
	}
}

// A label is free text shown in listings: bounded, one printable line.
func TestGrantChecksLabel(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	for label, want := range map[string]string{
		"ci\nforged row":         "label has a control character (U+000A at byte 2)",
		strings.Repeat("l", 300): "label is 300 bytes long: want at most 256",
	} {
		_, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: "28000-28009", Label: label})
		if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(portolan.ErrorMessage(err), want) {
			t.Errorf("label %q: %v, want EINVALID %q", label, err, want)
		}
	}
	if ls, _ := store.Leases(ctxT(t)); len(ls) != 0 {
		t.Errorf("a refused label left %d leases", len(ls))
	}
}
