package probe

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

// listen opens n loopback listeners on kernel-chosen ports and returns them.
func listen(t testing.TB, network, addr string, n int) []portolan.Port {
	t.Helper()
	var ports []portolan.Port
	for range n {
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ports = append(ports, portolan.Port(l.Addr().(*net.TCPAddr).Port))
	}
	return ports
}

// closedPort returns a loopback port nothing listens on: bound, then
// closed, and checked to refuse.
func closedPort(t testing.TB, addr string) portolan.Port {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(l.Addr().(*net.TCPAddr).IP.String(), itoa(p)), time.Second); err != nil {
			return portolan.Port(p)
		} else {
			c.Close()
		}
	}
	t.Fatal("no closed port found")
	return 0
}

func itoa(p int) string { return portolan.Port(p).String() }

func probesFor(target string, a netip.Addr, ports []portolan.Port) []Probe {
	out := make([]Probe, len(ports))
	for i, p := range ports {
		out[i] = Probe{Target: target, Addr: netip.AddrPortFrom(a, uint16(p))}
	}
	return out
}

func TestScanLoopbackOpenClosed(t *testing.T) {
	for _, fam := range []struct{ net, addr, ip string }{{"tcp4", "127.0.0.1:0", "127.0.0.1"}, {"tcp6", "[::1]:0", "::1"}} {
		t.Run(fam.net, func(t *testing.T) {
			open := listen(t, fam.net, fam.addr, 3)
			closed := []portolan.Port{closedPort(t, fam.addr), closedPort(t, fam.addr)}
			ports := append(append([]portolan.Port{}, open...), closed...)
			res, st, err := Scan(context.Background(), probesFor("x", netip.MustParseAddr(fam.ip), ports), Options{Retries: 1})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				want := Open
				if i >= len(open) {
					want = Closed
				}
				if r.State != want || r.Port != ports[i] || r.Attempts != 1 {
					t.Errorf("port %d: %v (%s) after %d attempts, want %v", ports[i], r.State, r.Reason, r.Attempts, want)
				}
			}
			if st.Attempts != len(ports) {
				t.Errorf("attempts %d, want %d", st.Attempts, len(ports))
			}
		})
	}
}

// TestScanLoopbackAll scans every port of 127.0.0.1 and compares the open
// set with what listens there per the kernel (ours plus everyone else's).
func TestScanLoopbackAll(t *testing.T) {
	if testing.Short() {
		t.Skip("full 65535-port scan skipped in -short mode")
	}
	mine := listen(t, "tcp4", "127.0.0.1:0", 6)
	ports := make([]portolan.Port, 65535)
	for i := range ports {
		ports[i] = portolan.Port(i + 1)
	}
	// Other test binaries run beside this one and open and close listeners
	// of their own: note every listening port the kernel shows while the
	// scan runs, so that one gone by the time of the bind check below is
	// not taken for a false "open".
	seen, stopWatch := watchListeners()
	start := time.Now()
	res, st, err := Scan(context.Background(), probesFor("127.0.0.1", netip.MustParseAddr("127.0.0.1"), ports), Options{Retries: 1})
	stopWatch()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("65535 ports in %v: %+v", time.Since(start), st)
	openSet := map[portolan.Port]bool{}
	for _, r := range res {
		switch r.State {
		case Open:
			openSet[r.Port] = true
		case Closed:
		default:
			t.Errorf("port %d: %v %s %s", r.Port, r.State, r.Reason, r.Error)
		}
	}
	for _, p := range mine {
		if !openSet[p] {
			t.Errorf("listener %d not found open", p)
		}
	}
	// Every other open port must belong to a listener: binding it fails.
	// (A connect that got its own port as source would look open; the
	// engine reports those as closed, reason self-connect.)
	for p := range openSet {
		if l, err := net.Listen("tcp4", "127.0.0.1:"+p.String()); err == nil {
			l.Close()
			if !seen[p] {
				t.Errorf("port %d reported open but nothing listens on it", p)
			}
		}
	}
	self := 0
	for _, r := range res {
		if r.Reason == "self-connect" {
			self++
		}
	}
	t.Logf("%d self-connects recognised", self)
}

// watchListeners reads /proc/net/tcp and tcp6 every 10 ms until stop is
// called and returns every port seen in LISTEN meanwhile (read the map only
// after stop).
func watchListeners() (map[portolan.Port]bool, func()) {
	seen := map[portolan.Port]bool{}
	done, quit := make(chan struct{}), make(chan struct{})
	read := func() {
		for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n")[1:] {
				fs := strings.Fields(line)
				if len(fs) < 4 || fs[3] != "0A" { // 0A: TCP_LISTEN
					continue
				}
				if i := strings.LastIndexByte(fs[1], ':'); i >= 0 {
					if n, err := strconv.ParseUint(fs[1][i+1:], 16, 16); err == nil {
						seen[portolan.Port(n)] = true
					}
				}
			}
		}
	}
	go func() {
		defer close(done)
		for {
			read()
			select {
			case <-quit:
				read()
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return seen, func() { close(quit); <-done }
}
