package sockets

import (
	"context"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"golang.org/x/sys/unix"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// listenTCP listens on addr ("127.0.0.1:0", "[::1]:0") and closes at the end of the test.
func listenTCP(t *testing.T, addr string) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).AddrPort()
}

func bindUDP(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("bind udp %s: %v", addr, err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// connect makes an established pair and returns the client's and the
// accepted server side's local addresses.
func connect(t *testing.T, ln net.Listener) (client, server netip.AddrPort) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c.LocalAddr().(*net.TCPAddr).AddrPort(), s.LocalAddr().(*net.TCPAddr).AddrPort()
}

// find returns the sockets in socks with that protocol and local address.
func find(socks []portolan.Socket, proto portolan.Proto, local netip.AddrPort) []portolan.Socket {
	var out []portolan.Socket
	for _, s := range socks {
		if s.Proto == proto && s.Local.Addr().Unmap() == local.Addr().Unmap() && s.Local.Port() == local.Port() {
			out = append(out, s)
		}
	}
	return out
}

func mustList(t *testing.T, f Filter) []portolan.Socket {
	t.Helper()
	socks, err := List(ctxT(t), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return socks
}

func TestListOwnSocketsWithOwners(t *testing.T) {
	ln4, tcp4 := listenTCP(t, "127.0.0.1:0")
	_, tcp6 := listenTCP(t, "[::1]:0")
	udp4 := bindUDP(t, "127.0.0.1:0")
	udp6 := bindUDP(t, "[::1]:0")
	client, server := connect(t, ln4)

	socks := mustList(t, Filter{WithOwners: true})
	me, _ := readProcess(os.Getpid())
	for _, c := range []struct {
		proto portolan.Proto
		addr  netip.AddrPort
		state string
	}{{portolan.TCP, tcp4, "LISTEN"}, {portolan.TCP, tcp6, "LISTEN"}, {portolan.UDP, udp4, "UNCONN"}, {portolan.UDP, udp6, "UNCONN"}} {
		got := find(socks, c.proto, c.addr)
		if len(got) != 1 {
			t.Errorf("%s %s: found %d sockets in the listening set, want 1", c.proto, c.addr, len(got))
			continue
		}
		s := got[0]
		if string(s.State) != c.state || !s.Listening() || s.Inode == 0 || s.UID != uint32(os.Geteuid()) {
			t.Errorf("%s %s: %+v; want state %s, an inode and uid %d", c.proto, c.addr, s, c.state, os.Geteuid())
		}
		if s.Owner == nil || s.Owner.PID != os.Getpid() {
			t.Errorf("%s %s: owner %+v; want this test process %d", c.proto, c.addr, s.Owner, os.Getpid())
			continue
		}
		o := s.Owner
		if o.Name != me.Name || o.StartTicks == 0 || o.StartTicks != me.StartTicks || o.User == "" ||
			!slices.Equal(o.Cmdline, os.Args) || time.Since(o.Start) > time.Hour || time.Since(o.Start) < -time.Minute {
			t.Errorf("owner details %+v; want name %q, start ticks %d, a user, cmdline %q, a recent start", o, me.Name, me.StartTicks, os.Args)
		}
	}
	if got := find(socks, portolan.TCP, client); len(got) != 0 {
		t.Errorf("the listening set holds the client socket %s: %+v", client, got)
	}

	all := mustList(t, Filter{All: true, Protos: []portolan.Proto{portolan.TCP}, Port: portolan.Port(tcp4.Port())})
	var states []string
	for _, s := range all {
		states = append(states, string(s.State)+" "+s.Local.String()+" "+s.Remote.String())
	}
	wantStates := []string{"LISTEN " + tcp4.String() + " invalid AddrPort", "ESTABLISHED " + server.String() + " " + client.String()}
	if !slices.Equal(states, wantStates) {
		t.Errorf("-a on port %d = %q; want %q (the client's own port differs)", tcp4.Port(), states, wantStates)
	}
	// Clients to other servers may share the client's port number.
	est := mustList(t, Filter{States: []string{"established"}, Port: portolan.Port(client.Port())})
	mine := slices.IndexFunc(est, func(s portolan.Socket) bool { return s.Remote == server })
	if mine < 0 || est[mine].Owner != nil || est[mine].State != "ESTABLISHED" {
		t.Errorf("ESTABLISHED on the client port = %+v; want the client side, connected to %s, without owners", est, server)
	}
	for _, s := range est {
		if s.State != "ESTABLISHED" || s.Local.Port() != client.Port() {
			t.Errorf("ESTABLISHED on port %d returned %+v", client.Port(), s)
		}
	}
}

func TestListFilters(t *testing.T) {
	_, tcp4 := listenTCP(t, "127.0.0.1:0")
	_, tcp6 := listenTCP(t, "[::1]:0")
	udp4 := bindUDP(t, "127.0.0.1:0")
	has := func(socks []portolan.Socket, proto portolan.Proto, ap netip.AddrPort) bool {
		return len(find(socks, proto, ap)) > 0
	}
	v4 := mustList(t, Filter{Families: []int{4}})
	if !has(v4, portolan.TCP, tcp4) || has(v4, portolan.TCP, tcp6) || !has(v4, portolan.UDP, udp4) {
		t.Errorf("-4 must show %s and %s and not %s", tcp4, udp4, tcp6)
	}
	v6tcp := mustList(t, Filter{Families: []int{6}, Protos: []portolan.Proto{portolan.TCP}})
	if has(v6tcp, portolan.TCP, tcp4) || !has(v6tcp, portolan.TCP, tcp6) || has(v6tcp, portolan.UDP, udp4) {
		t.Errorf("--tcp -6 must show %s alone of ours", tcp6)
	}
	onePort := mustList(t, Filter{Port: portolan.Port(tcp4.Port())})
	for _, s := range onePort {
		if s.Local.Port() != tcp4.Port() {
			t.Errorf("--port %d returned %+v", tcp4.Port(), s)
		}
	}
	byPID := mustList(t, Filter{PID: os.Getpid()})
	if !has(byPID, portolan.TCP, tcp4) || !has(byPID, portolan.TCP, tcp6) || !has(byPID, portolan.UDP, udp4) {
		t.Errorf("--pid self = %+v; want our three sockets", byPID)
	}
	for _, s := range byPID {
		if s.Owner == nil || s.Owner.PID != os.Getpid() {
			t.Errorf("--pid self returned a socket of another process: %+v", s)
		}
	}
	me, _ := readProcess(os.Getpid())
	byName := mustList(t, Filter{Proc: me.Name, Port: portolan.Port(tcp6.Port())})
	if len(byName) != 1 || byName[0].Local != tcp6 {
		t.Errorf("--proc %s --port %d = %+v; want %s", me.Name, tcp6.Port(), byName, tcp6)
	}
	rng := mustList(t, Filter{Ports: portolan.Range{Lo: portolan.Port(tcp4.Port()), Hi: portolan.Port(tcp4.Port()) + 1}, Protos: []portolan.Proto{portolan.TCP}, Families: []int{4}})
	if !has(rng, portolan.TCP, tcp4) || len(rng) > 2 {
		t.Errorf("--tcp -4 ports %d-%d = %+v; want %s and at most one more", tcp4.Port(), tcp4.Port()+1, rng, tcp4)
	}
	if other := mustList(t, Filter{Proc: "no-such-process-name", Port: portolan.Port(tcp6.Port())}); len(other) != 0 {
		t.Errorf("--proc no-such-process-name = %+v; want nothing", other)
	}
}

// TestKernelFiltersPort proves the port filter runs in the kernel: the raw
// netlink dump, before any user-space check, returns only that port.
func TestKernelFiltersPort(t *testing.T) {
	_, a := listenTCP(t, "127.0.0.1:0")
	_, b := listenTCP(t, "127.0.0.1:0")
	c, err := openDiag()
	if err != nil {
		t.Fatalf("netlink sock_diag: %v", err)
	}
	defer c.close()
	var got []netip.AddrPort
	err = c.dump(ctxT(t), unix.AF_INET, unix.IPPROTO_TCP, 1<<stListen, a.Port(), a.Port(), func(e *diagEntry) bool {
		got = append(got, e.local)
		return true
	})
	if err != nil || len(got) != 1 || got[0] != a {
		t.Fatalf("kernel dump for port %d = %v, %v; want only %s (not %s)", a.Port(), got, err, a, b)
	}
	// A range runs as bytecode in the kernel.
	lo, hi := a.Port(), a.Port()+1
	if b.Port() == hi {
		lo, hi = a.Port()-1, a.Port()
	}
	got = got[:0]
	err = c.dump(ctxT(t), unix.AF_INET, unix.IPPROTO_TCP, 1<<stListen, lo, hi, func(e *diagEntry) bool {
		got = append(got, e.local)
		return true
	})
	if err != nil || !slices.Contains(got, a) || slices.Contains(got, b) {
		t.Fatalf("kernel dump for ports %d-%d = %v, %v; want %s and not %s", lo, hi, got, err, a, b)
	}
	for _, ap := range got {
		if ap.Port() < lo || ap.Port() > hi {
			t.Errorf("kernel dump for ports %d-%d returned %s", lo, hi, ap)
		}
	}
	// The state mask too: no ESTABLISHED socket comes back for a LISTEN mask.
	n := 0
	err = c.dump(ctxT(t), unix.AF_INET, unix.IPPROTO_TCP, 1<<stListen, 0, 65535, func(e *diagEntry) bool {
		if e.state != stListen {
			t.Errorf("LISTEN dump returned state %d for %s", e.state, e.local)
		}
		n++
		return true
	})
	if err != nil || n < 2 {
		t.Errorf("LISTEN dump: %d sockets, %v; want at least our 2", n, err)
	}
}

func TestOwnersOfChildProcess(t *testing.T) {
	child := sockhold.Start(t, "tcp:127.0.0.1:0", "udp:127.0.0.1:0")
	tcpPort, udpPort := child.Ports[0], child.Ports[1]
	// The parent connects as a client: it must not be reported as an owner.
	conn, err := net.Dial("tcp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(tcpPort)).String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	owners, err := Owners(ctxT(t), tcpPort, portolan.TCP)
	if err != nil || len(owners) != 1 {
		t.Fatalf("Owners(%d/tcp) = %+v, %v; want the child's listener", tcpPort, owners, err)
	}
	o := owners[0].Owner
	if o == nil || o.PID != child.PID || !slices.Equal(o.Cmdline, child.Args) || o.StartTicks == 0 {
		t.Errorf("owner = %+v; want pid %d with cmdline %q", o, child.PID, child.Args)
	}
	// ProtoAny: another process may listen on the same number over TCP;
	// the UDP socket there is the child's.
	got, err := Owners(ctxT(t), udpPort, portolan.ProtoAny)
	if err != nil || len(find(got, portolan.UDP, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(udpPort)))) != 1 {
		t.Errorf("Owners(%d) = %+v, %v; want the child's UDP socket", udpPort, got, err)
	}
	for _, s := range got {
		if s.Proto == portolan.UDP && (s.Owner == nil || s.Owner.PID != child.PID) {
			t.Errorf("Owners(%d): %+v is not the child's", udpPort, s)
		}
	}
	hs, err := Holders(ctxT(t), tcpPort, portolan.TCP)
	if err != nil || len(hs) != 1 || hs[0].Owner == nil || hs[0].Owner.PID != child.PID {
		t.Errorf("Holders(%d/tcp) = %+v, %v; want the child alone", tcpPort, hs, err)
	}
	if ok, err := Listening(ctxT(t), tcpPort, portolan.TCP); !ok || err != nil {
		t.Errorf("Listening(%d/tcp) = %v, %v; want true", tcpPort, ok, err)
	}
	if ok, err := Listening(ctxT(t), tcpPort, portolan.UDP); ok || err != nil {
		t.Errorf("Listening(%d/udp) = %v, %v; want false (only TCP listens there)", tcpPort, ok, err)
	}
	child.Stop()
	if ok, err := Listening(ctxT(t), tcpPort, portolan.TCP); ok || err != nil {
		t.Errorf("after the child died, Listening(%d/tcp) = %v, %v; want false", tcpPort, ok, err)
	}
	if got, err := Owners(ctxT(t), tcpPort, portolan.TCP); err != nil || len(got) != 0 {
		t.Errorf("after the child died, Owners = %+v, %v; want none", got, err)
	}
}

// TestPortHeldOnlyOnLoopback6 holds [::1]:p while 127.0.0.1:p stays free:
// the inventory must say exactly that.
func TestPortHeldOnlyOnLoopback6(t *testing.T) {
	// The kernel picks the port for [::1] alone, so another process may
	// hold the same number on 127.0.0.1: pick again then (bounded).
	var child *sockhold.Child
	var p portolan.Port
	for try := 0; ; try++ {
		child = sockhold.Start(t, "tcp:[::1]:0")
		p = child.Ports[0]
		if v4 := mustList(t, Filter{All: true, Port: p, Families: []int{4}}); len(v4) == 0 {
			break
		} else if try == 10 {
			t.Fatalf("10 ports picked for [::1] were all in use on IPv4 too, last %d: %+v", p, v4)
		}
		child.Stop()
	}
	owners, err := Owners(ctxT(t), p, portolan.TCP)
	if err != nil || len(owners) != 1 || owners[0].Local != netip.AddrPortFrom(netip.IPv6Loopback(), uint16(p)) || owners[0].Owner == nil || owners[0].Owner.PID != child.PID {
		t.Fatalf("Owners(%d/tcp) = %+v, %v; want [::1]:%d held by %d", p, owners, err, p, child.PID)
	}
	if v4 := mustList(t, Filter{Port: p, Families: []int{4}}); len(v4) != 0 {
		t.Errorf("-4 --port %d = %+v; want nothing on IPv4", p, v4)
	}
	ln, err := net.Listen("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p)).String())
	if err != nil {
		t.Fatalf("127.0.0.1:%d must be free while only [::1]:%d is held: %v", p, p, err)
	}
	ln.Close()
}

func TestInUse(t *testing.T) {
	ln, addr := listenTCP(t, "127.0.0.1:0")
	client, _ := connect(t, ln)
	for _, c := range []struct {
		port            portolan.Port
		listening, used bool
	}{{portolan.Port(addr.Port()), true, true}, {portolan.Port(client.Port()), false, true}} {
		l, err1 := Listening(ctxT(t), c.port, portolan.ProtoAny)
		u, err2 := InUse(ctxT(t), c.port, portolan.TCP)
		if l != c.listening || u != c.used || err1 != nil || err2 != nil {
			t.Errorf("port %d: Listening %v (%v), InUse %v (%v); want %v, %v", c.port, l, err1, u, err2, c.listening, c.used)
		}
	}
	if _, err := Owners(ctxT(t), 0, portolan.TCP); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("Owners(0) error = %v; want EINVALID", err)
	}
}

// TestNetlinkMatchesProcNet compares the two sources on this machine. Other
// processes open and close sockets meanwhile, so the /proc/net read is
// sandwiched between two netlink dumps: every socket present in both dumps
// must be in /proc/net, and everything /proc/net shows must be in one of
// them. A few attempts absorb a socket born and gone between the reads.
func TestNetlinkMatchesProcNet(t *testing.T) {
	ln, _ := listenTCP(t, "127.0.0.1:0")
	connect(t, ln)
	listenTCP(t, "[::1]:0")
	bindUDP(t, "127.0.0.1:0")
	bindUDP(t, "[::1]:0")
	key := func(s portolan.Socket) string {
		return s.Proto.String() + " " + s.Local.String() + " " + s.Remote.String() + " " + string(s.State) + " " + itoa(s.Inode)
	}
	set := func(procNet bool) map[string]bool {
		q, err := compile(Filter{All: true})
		if err != nil {
			t.Fatal(err)
		}
		q.procNet = procNet
		socks, err := list(ctxT(t), q)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, s := range socks {
			m[key(s)] = true
		}
		return m
	}
	var problems []string
	for attempt := 0; attempt < 5; attempt++ {
		nl1, pn, nl2 := set(false), set(true), set(false)
		problems = problems[:0]
		for k := range nl1 {
			if nl2[k] && !pn[k] {
				problems = append(problems, "only netlink: "+k)
			}
		}
		for k := range pn {
			if !nl1[k] && !nl2[k] {
				problems = append(problems, "only /proc/net: "+k)
			}
		}
		if len(problems) == 0 && len(pn) >= 5 {
			return
		}
	}
	t.Errorf("netlink and /proc/net disagree after 5 attempts:\n%s", strings.Join(problems, "\n"))
}

// TestOwnerInALargeTable: a process with a thousand listeners, opened in
// order (the bisection finds each in a few links) and then with its lowest
// descriptors reused by newer sockets (the bisection misses; the full
// read finds them).
func TestOwnerInALargeTable(t *testing.T) {
	child := sockhold.Start(t, "many:1000", "refill:50")
	for _, i := range []int{0, 25, 49, 50, 500, 999} {
		p := child.Ports[i]
		owners, err := Owners(ctxT(t), p, portolan.TCP)
		mine := slices.IndexFunc(owners, func(s portolan.Socket) bool { return s.Local.Addr().Is4() && s.Local.Addr().IsLoopback() })
		if err != nil || mine < 0 || owners[mine].Owner == nil || owners[mine].Owner.PID != child.PID {
			t.Errorf("listener %d (port %d): Owners = %+v, %v; want pid %d", i, p, owners, err, child.PID)
		}
	}
	// Within the child alone: an in-order socket costs a bisection; a
	// refilled one, out of inode order, is found by reading the table.
	for _, c := range []struct {
		i        int
		min, max int64
	}{{500, 1, 60}, {999, 1, 60}, {25, 1, 2000}} {
		socks := mustList(t, Filter{Port: child.Ports[c.i], Families: []int{4}, Protos: []portolan.Proto{portolan.TCP}})
		sc := newOwnerScan(socks, false)
		sc.onlyPID = child.PID
		if err := sc.run(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if n := sc.links.Load(); len(socks) != 1 || sc.owner(socks[0].Inode) != int32(child.PID) || n < c.min || n > c.max {
			t.Errorf("listener %d: owner %d after %d links; want %d after %d-%d links", c.i, sc.owner(socks[0].Inode), n, child.PID, c.min, c.max)
		}
	}
}

// TestOwnerInAnOlderLargeTable: two processes with thousands of sockets;
// the wanted listener is the older one's, which the scan reaches second.
// The newer table is bisected, not read in full, before the older one is.
func TestOwnerInAnOlderLargeTable(t *testing.T) {
	older := sockhold.Start(t, "many:1000")
	sockhold.Start(t, "many:4000")
	comm, err := os.ReadFile("/proc/" + itoa(uint64(older.PID)) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	socks := mustList(t, Filter{Port: older.Ports[500], Families: []int{4}, Protos: []portolan.Proto{portolan.TCP}})
	sc := newOwnerScan(socks, false)
	sc.onlyName = strings.TrimSpace(string(comm)) // the two children (and this test)
	if err := sc.run(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Two bisections and the test process's own few descriptors; reading
	// the newer table first would cost thousands of links. Another
	// package's test binary of the same name may run alongside: allow it
	// a table of its own.
	if n := sc.links.Load(); len(socks) != 1 || sc.owner(socks[0].Inode) != int32(older.PID) || n > 600 {
		t.Errorf("owner %d after %d links; want %d after at most 600", sc.owner(socks[0].Inode), n, older.PID)
	}
}

// TestOwnerOutOfOrderInAnOlderTable: the wanted listener reuses a low
// descriptor of an older process (out of inode order: its bisection
// misses) and a newer process holds four thousand sockets made well
// after it. The second pass reads the older table first, its bisection
// having come nearest the wanted inode.
func TestOwnerOutOfOrderInAnOlderTable(t *testing.T) {
	older := sockhold.Start(t, "many:1000", "refill:50")
	spacer := sockhold.Start(t, "many:6000") // inode numbers between the two
	spacer.Stop()
	sockhold.Start(t, "many:4000")
	comm, err := os.ReadFile("/proc/" + itoa(uint64(older.PID)) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	socks := mustList(t, Filter{Port: older.Ports[25], Families: []int{4}, Protos: []portolan.Proto{portolan.TCP}})
	sc := newOwnerScan(socks, false)
	sc.onlyName = strings.TrimSpace(string(comm))
	if err := sc.run(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// The older table in full (~1,050 links) and two bisections; the
	// newer table first would add its four thousand.
	if n := sc.links.Load(); len(socks) != 1 || sc.owner(socks[0].Inode) != int32(older.PID) || n > 3000 {
		t.Errorf("owner %d after %d links; want %d after at most 3000", sc.owner(socks[0].Inode), n, older.PID)
	}
}
