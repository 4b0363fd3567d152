package why

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/clichild"
	"github.com/portolan-dev/portolan/internal/testutil/nobody"
	"github.com/portolan-dev/portolan/internal/testutil/privcache"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/netns"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/why"
)

// The test binary is also the program under test: with PORTOLAN_WHY_CHILD
// set it runs `why ARG --json` (inside the namespace `ip netns exec` put it
// in) and exits with its status; it is also a socket holder (sockhold), a
// second process for the two-family case.
func TestMain(m *testing.M) {
	sockhold.Main()
	clichild.Main("PORTOLAN_WHY_CHILD", func(a string, ios *iostreams.IOStreams) error {
		o := &Options{IO: ios, JSON: true, Arg: a, Timeout: 300 * time.Millisecond, Sources: why.Sources{
			Sockets:  cmdutil.PortSockets,
			Firewall: cmdutil.Firewall(),
			Host:     func() (portolan.HostRanges, error) { h, err := registry.Host(); return portolan.HostRanges(h), err },
		}}
		return Run(context.Background(), o)
	})
	os.Exit(privcache.Run(m))
}

// runWhy runs `why arg` in ns, through prefix (e.g. setpriv) when given,
// and decodes its document into v.
func runWhy(t *testing.T, ns *testnet.NS, exe, arg string, v any, prefix ...string) int {
	t.Helper()
	return clichild.InNS(t, ns, exe, "PORTOLAN_WHY_CHILD", arg, v, prefix...)
}

func causes(cs []portolan.Cause) map[portolan.CauseCode]portolan.Cause {
	m := map[portolan.CauseCode]portolan.Cause{}
	for _, c := range cs {
		m[c.Code] = c
	}
	return m
}

func tries(r portolan.BindReport) map[string]bool {
	m := map[string]bool{}
	for _, t := range r.Tries {
		m[t.Proto.String()+" "+t.Addr] = t.OK
	}
	return m
}

// mustBind checks a "will bind" verdict the way it claims: every bind
// succeeds in the namespace.
func mustBind(t *testing.T, ns *testnet.NS, p portolan.Port, proto portolan.Proto) {
	t.Helper()
	err := ns.Do(func() error {
		for _, tr := range why.TryBinds(p, proto) {
			if !tr.OK {
				return fmt.Errorf("%s %s: %s", tr.Proto, tr.Addr, tr.Error)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("why said %d binds, but: %v", p, err)
	}
}

func listenIn(t *testing.T, ns *testnet.NS, network, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen(network, addr); return }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestWhyFreePortBinds(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "5173", &r); code != 0 || !r.WillBind {
		t.Fatalf("exit %d, %+v; want it to bind", code, r)
	}
	if len(r.Tries) != 6 {
		t.Errorf("tries = %+v; want 3 addresses x tcp, udp", r.Tries)
	}
	mustBind(t, ns, 5173, portolan.ProtoAny)
}

// One process on 127.0.0.1 only: an IPV6_V6ONLY bind works, 0.0.0.0 and a
// dual-stack [::] do not, and the cause names the address and the owner.
func TestWhyListenerOneFamily(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	listenIn(t, ns, "tcp4", "127.0.0.1:5173")
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "5173/tcp", &r); code != 1 || r.WillBind {
		t.Fatalf("exit %d, %+v; want 1, will not bind", code, r)
	}
	tr := tries(r)
	if tr["tcp 0.0.0.0"] || !tr["tcp [::] IPV6_V6ONLY"] || tr["tcp [::] dual-stack"] {
		t.Errorf("tries = %+v", r.Tries)
	}
	c, ok := causes(r.Causes)[portolan.CauseListener]
	if !ok || !c.Blocks || c.Facts["address"] != "127.0.0.1" || c.Facts["scope"] != "loopback" || c.Facts["pid"] != fmt.Sprint(os.Getpid()) {
		t.Errorf("listener cause = %+v", c)
	}
	if r.Causes[0].Code != portolan.CauseListener {
		t.Errorf("first cause = %s; want listener first", r.Causes[0].Code)
	}
	// UDP on the same port is free, and binds.
	var u portolan.BindReport
	if code := runWhy(t, ns, "", "5173/udp", &u); code != 0 || !u.WillBind {
		t.Errorf("udp: exit %d, %+v", code, u)
	}
	mustBind(t, ns, 5173, portolan.UDP)
}

// Two processes hold 127.0.0.1:5173 and [::1]:5173: two listener causes,
// one per family, each with its own pid.
func TestWhyTwoProcessesTwoFamilies(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	pids := map[string]bool{}
	for _, a := range []string{"127.0.0.1:5173", "[::1]:5173"} {
		child := sockhold.StartIn(t, []string{"ip", "netns", "exec", ns.Name}, "", "tcp:"+a)
		pids[fmt.Sprint(child.PID)] = true
	}
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "5173/tcp", &r); code != 1 {
		t.Fatalf("exit %d; want 1", code)
	}
	fams := map[string]string{}
	for _, c := range r.Causes {
		if c.Code == portolan.CauseListener {
			fams[c.Facts["family"]] = c.Facts["address"]
		}
	}
	if fams["ipv4"] != "127.0.0.1" || fams["ipv6"] != "::1" {
		t.Errorf("listener causes by family = %v; want 127.0.0.1 and ::1\n%+v", fams, r.Causes)
	}
	if tr := tries(r); tr["tcp 0.0.0.0"] || tr["tcp [::] IPV6_V6ONLY"] || tr["tcp [::] dual-stack"] {
		t.Errorf("tries = %+v; want all to fail", r.Tries)
	}
}

// The server closes first, so its end sits in TIME_WAIT on the port after
// the listener is gone: the cause is time-wait, and a bind without
// SO_REUSEADDR fails.
func TestWhyTimeWait(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	err := ns.Do(func() error {
		l, err := net.Listen("tcp4", "127.0.0.1:5174")
		if err != nil {
			return err
		}
		c, err := net.Dial("tcp4", "127.0.0.1:5174")
		if err != nil {
			return err
		}
		s, err := l.Accept()
		if err != nil {
			return err
		}
		s.Close() // the server's end closes first: TIME_WAIT on 5174
		time.Sleep(50 * time.Millisecond)
		c.Close()
		return l.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "5174/tcp", &r); code != 1 {
		t.Fatalf("exit %d, %+v; want 1", code, r)
	}
	c, ok := causes(r.Causes)[portolan.CauseTimeWait]
	if !ok || !strings.Contains(c.Fix, "SO_REUSEADDR") || c.Sockets[0].State != portolan.StateTimeWait {
		t.Errorf("causes = %+v; want time-wait with the SO_REUSEADDR fix", r.Causes)
	}
	if _, ok := causes(r.Causes)[portolan.CauseListener]; ok {
		t.Error("a listener cause with no listener")
	}
}

// An outgoing connection bound to source port 40000, inside the
// namespace's ephemeral range: the cause is outgoing, with the reserve fix.
func TestWhyOutgoingConnection(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	if _, err := ns.Exec("sysctl", "-w", "net.ipv4.ip_local_port_range=40000 40100"); err != nil {
		t.Fatal(err)
	}
	l := listenIn(t, ns, "tcp4", "127.0.0.1:7000")
	var c net.Conn
	err := ns.Do(func() (err error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}}
		c, err = d.Dial("tcp4", l.Addr().String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "40000/tcp", &r); code != 1 {
		t.Fatalf("exit %d, %+v; want 1", code, r)
	}
	cs := causes(r.Causes)
	o, ok := cs[portolan.CauseOutgoing]
	if !ok || o.Facts["in_ephemeral"] != "true" || !strings.Contains(o.Fix, "ip_local_reserved_ports") {
		t.Errorf("causes = %+v; want outgoing in the ephemeral range", r.Causes)
	}
	if _, ok := cs[portolan.CauseEphemeral]; !ok {
		t.Errorf("causes = %+v; want the ephemeral warning", r.Causes)
	}
}

// A port in ip_local_reserved_ports binds (explicit binds still work), and
// the note says so.
func TestWhyKernelReserved(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	if _, err := ns.Exec("sysctl", "-w", "net.ipv4.ip_local_reserved_ports=45000"); err != nil {
		t.Fatal(err)
	}
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "45000", &r); code != 0 || !r.WillBind {
		t.Fatalf("exit %d, %+v", code, r)
	}
	if c, ok := causes(r.Causes)[portolan.CauseReserved]; !ok || c.Blocks {
		t.Errorf("causes = %+v; want a non-blocking kernel-reserved note", r.Causes)
	}
	mustBind(t, ns, 45000, portolan.ProtoAny)
}

// An unprivileged user (uid 65534, no capabilities) below the namespace's
// ip_unprivileged_port_start: the cause is privilege and the bind fails;
// root binds the same port.
func TestWhyPrivilege(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	prefix := nobody.Setpriv(t)
	if _, err := ns.Exec("sysctl", "-w", "net.ipv4.ip_unprivileged_port_start=2000"); err != nil {
		t.Fatal(err)
	}
	var r portolan.BindReport
	code := runWhy(t, ns, nobody.Exe(t, "why.test"), "1500/tcp", &r, prefix...)
	if code != 1 || r.WillBind {
		t.Fatalf("exit %d, %+v; want 1", code, r)
	}
	if c, ok := causes(r.Causes)[portolan.CausePrivilege]; !ok || c.Facts["unprivileged_start"] != "2000" {
		t.Errorf("causes = %+v; want privilege with start 2000", r.Causes)
	}
	var root portolan.BindReport
	if code := runWhy(t, ns, "", "1500/tcp", &root); code != 0 {
		t.Errorf("root: exit %d, %+v", code, root)
	}
	if _, ok := causes(root.Causes)[portolan.CausePrivilege]; ok {
		t.Error("root with CAP_NET_BIND_SERVICE got the privilege cause")
	}
}

// The localhost split: the namespace's /etc/hosts (ip netns exec mounts
// /etc/netns/NAME/hosts over it) lists ::1 first, the server listens on
// 127.0.0.1 only.
func TestWhyLocalhostSplit(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	dir := filepath.Join("/etc/netns", ns.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte("::1 localhost\n127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listenIn(t, ns, "tcp4", "127.0.0.1:5173")
	var r portolan.ConnectReport
	if code := runWhy(t, ns, "", "localhost:5173", &r); code != 1 || r.Connects {
		t.Fatalf("exit %d, %+v; want 1", code, r)
	}
	if len(r.Tries) != 2 || r.Tries[0].Addr.String() != "[::1]:5173" || r.Tries[0].Result != "refused" || r.Tries[1].Result != "connected" {
		t.Errorf("tries = %+v", r.Tries)
	}
	c, ok := causes(r.Causes)[portolan.CauseFamilySplit]
	if !ok || !c.Blocks || !strings.Contains(c.Summary, "tries ::1 first") || !strings.Contains(c.Fix, "127.0.0.1") {
		t.Errorf("causes = %+v; want the family split", r.Causes)
	}
	// The namespace's own address: the server is loopback-only.
	var lan portolan.ConnectReport
	runWhy(t, ns, "", net.JoinHostPort(ns.Addr.String(), "5173"), &lan)
	if _, ok := causes(lan.Causes)[portolan.CauseLoopbackOnly]; !ok {
		t.Errorf("lan causes = %+v; want loopback-only", lan.Causes)
	}
	// A name that resolves nowhere (only /etc/hosts is consulted for it
	// here: the namespace has no route to any resolver).
	var none portolan.ConnectReport
	if code := runWhy(t, ns, "", "no-such-host.invalid:80", &none); code != 1 {
		t.Errorf("exit %d; want 1", code)
	}
	if _, ok := causes(none.Causes)[portolan.CauseNoName]; !ok {
		t.Errorf("causes = %+v; want name-not-resolved", none.Causes)
	}
}

// A port behind an nft DROP in the namespace, tried from this side of the
// link: the cause is no-answer and the firewall is unknown, never
// "allowed".
func TestWhyNoAnswer(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	if err := ns.Drop(6000); err != nil {
		t.Fatal(err)
	}
	d := runHere(t, net.JoinHostPort(ns.Addr.String(), "6000"))
	c, ok := causes(d.Causes)[portolan.CauseNoAnswer]
	if !ok || c.Facts["firewall"] != "firewall unknown" || d.Tries[0].Result != "no-answer" || d.Connects {
		t.Errorf("causes = %+v, tries %+v; want no-answer", d.Causes, d.Tries)
	}
	// Nothing listens on 6001: refused.
	r := runHere(t, net.JoinHostPort(ns.Addr.String(), "6001"))
	if _, ok := causes(r.Causes)[portolan.CauseRefused]; !ok || r.Tries[0].Result != "refused" {
		t.Errorf("causes = %+v, tries %+v; want refused", r.Causes, r.Tries)
	}
}

// runHere runs the connect explanation in this process (the host side of
// the link).
func runHere(t *testing.T, arg string) portolan.ConnectReport {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o := &Options{IO: ios, JSON: true, Arg: arg, Timeout: 300 * time.Millisecond, Sources: why.Sources{Sockets: cmdutil.PortSockets}}
	Run(context.Background(), o)
	var r portolan.ConnectReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	return r
}

// A Docker-published port (a DNAT rule in nat PREROUTING's DOCKER chain):
// a server binds it, and the dnat note says connections go elsewhere.
// The namespace's own address behind an nft DROP: the no-answer cause
// names the rule.
func TestWhyFirewall(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	if err := ns.NFT(testnet.DockerRules(6000, 8080)); err != nil {
		t.Fatal(err)
	}
	var r portolan.BindReport
	if code := runWhy(t, ns, "", "8080/tcp", &r); code != 0 || !r.WillBind {
		t.Fatalf("exit %d, %+v", code, r)
	}
	if c, ok := causes(r.Causes)[portolan.CauseDNAT]; !ok || !strings.Contains(c.Facts["rule"], "dnat") {
		t.Errorf("causes = %+v; want the dnat note with its rule", r.Causes)
	}
	mustBind(t, ns, 8080, portolan.TCP)
	listenIn(t, ns, "tcp4", "0.0.0.0:6000")
	var d portolan.ConnectReport
	runWhy(t, ns, "", net.JoinHostPort(ns.Addr.String(), "6000"), &d)
	c, ok := causes(d.Causes)[portolan.CauseNoAnswer]
	if !ok || !strings.Contains(c.Facts["firewall"], "tcp dport 6000 drop") {
		t.Errorf("causes = %+v, tries %+v; want no-answer naming the drop rule", d.Causes, d.Tries)
	}
}

// A listener in another network namespace (an ip netns the test makes):
// the port binds here, and the other-netns note names the namespace, its
// holder and the fix; the verdict is checked by binding.
func TestWhyOtherNetNS(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	l := listenIn(t, ns, "tcp", "127.0.0.1:0")
	port := portolan.Port(l.Addr().(*net.TCPAddr).Port)
	ios, _, out, _ := iostreams.Test()
	o := &Options{IO: ios, JSON: true, Arg: port.String() + "/tcp", Timeout: 300 * time.Millisecond,
		Sources: why.Sources{Sockets: cmdutil.PortSockets, Elsewhere: netns.Elsewhere}}
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("why %d: %v (another process holds it on the host too?)\n%s", port, err, out.Bytes())
	}
	var r portolan.BindReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	c, ok := causes(r.Causes)[portolan.CauseOtherNetNS]
	switch {
	case !r.WillBind || !ok:
		t.Fatalf("why %d: will_bind %v, causes %+v; want it to bind with an other-netns note", port, r.WillBind, r.Causes)
	case c.Blocks || c.Facts["netns"] != ns.Name || c.Facts["pid"] != strconv.Itoa(os.Getpid()) || c.Fix == "":
		t.Fatalf("other-netns cause: %+v", c)
	case !strings.Contains(c.Summary, ns.Name) || len(c.Sockets) != 1 || c.Sockets[0].NetNS == nil:
		t.Fatalf("other-netns cause does not name %s: %+v", ns.Name, c)
	}
	for _, tr := range why.TryBinds(port, portolan.TCP) {
		if !tr.OK {
			t.Fatalf("why said %d binds here, but %s: %s", port, tr.Addr, tr.Error)
		}
	}
}
