package probe

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// Backoff bounds for connect polling: the first retry after 5 ms, doubling
// up to 250 ms. The socket table of this host is re-read every LocalPoll:
// reading it touches no server, so it can be read often, which is how a
// port opening on this host is seen within a few milliseconds.
const (
	FirstRetry = 5 * time.Millisecond
	MaxRetry   = 250 * time.Millisecond
	LocalPoll  = 2 * time.Millisecond
)

// Waiter waits for ports to open (or, with Close, to close).
type Waiter struct {
	Lookup Lookup // nil: SystemLookup
	// Local reports whether something listens on addr on this host, from
	// the socket table (the CLI passes one backed by package sockets). Nil
	// means always connect.
	Local func(ctx context.Context, addr netip.AddrPort) (bool, error)
	// IsLocal tells this host's addresses; nil means LocalAddr.
	IsLocal func(netip.Addr) bool
	Connect bool // connect even to this host's addresses
	Close   bool // wait until nothing accepts instead
	// Ready, when set, is called once per target and port as it is met:
	// addr is the address that answered (zero with Close).
	Ready func(hp HostPort, port portolan.Port, addr netip.AddrPort, after time.Duration)
}

// Wait blocks until every port of every target is open (any of its
// addresses accepts) or, with Close, closed (none does). When ctx ends
// first it returns an ETIMEOUT error naming what was still awaited.
func (w *Waiter) Wait(ctx context.Context, targets []HostPort) error {
	start := time.Now()
	var mu sync.Mutex
	var pending []string
	var wg sync.WaitGroup
	for _, hp := range targets {
		for _, p := range hp.Ports {
			wg.Add(1)
			go func() {
				defer wg.Done()
				addr, ok := w.one(ctx, hp.Host, p)
				if !ok {
					mu.Lock()
					pending = append(pending, net.JoinHostPort(hp.Host, p.String()))
					mu.Unlock()
					return
				}
				if w.Ready != nil {
					w.Ready(hp, p, addr, time.Since(start))
				}
			}()
		}
	}
	wg.Wait()
	if len(pending) > 0 {
		want := "open"
		if w.Close {
			want = "closed"
		}
		return portolan.Errorf(portolan.ETIMEOUT, "timed out after %s: %s not %s", time.Since(start).Round(time.Millisecond), strings.Join(pending, ", "), want)
	}
	return nil
}

// one polls a single host and port until the condition holds or ctx ends.
func (w *Waiter) one(ctx context.Context, host string, p portolan.Port) (netip.AddrPort, bool) {
	retry := FirstRetry
	for {
		addrs := w.resolve(ctx, host)
		met, open, local := w.Close, netip.AddrPort{}, len(addrs) > 0
		for _, a := range addrs {
			ap := netip.AddrPortFrom(a, uint16(p))
			isLocal := w.local(a)
			local = local && isLocal
			if w.accepts(ctx, ap, isLocal) {
				open = ap
				met = !w.Close
				break
			}
		}
		if len(addrs) == 0 {
			met = false // a name that does not resolve yet is neither open nor closed
		}
		if met {
			return open, true
		}
		d := retry
		if local {
			d = LocalPoll
		} else {
			retry = min(retry*2, MaxRetry)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return netip.AddrPort{}, false
		case <-t.C:
		}
	}
}

func (w *Waiter) resolve(ctx context.Context, host string) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	lookup := w.Lookup
	if lookup == nil {
		lookup = SystemLookup
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil
	}
	return dedupe(addrs)
}

func (w *Waiter) local(a netip.Addr) bool {
	if w.Connect || w.Local == nil {
		return false
	}
	if w.IsLocal != nil {
		return w.IsLocal(a)
	}
	return LocalAddr(a)
}

// accepts reports whether ap takes connections now: from the socket table
// for this host's addresses, else by connecting (and closing at once).
func (w *Waiter) accepts(ctx context.Context, ap netip.AddrPort, local bool) bool {
	if local {
		ok, err := w.Local(ctx, ap)
		if err == nil {
			return ok
		}
		// the socket table cannot be read here: fall back to connecting
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return false
	}
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		c.Close() // a loopback connect that got its own port as source: nothing listens
		return false
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
	return true
}

// LocalAddr reports whether a is one of this host's addresses: loopback,
// or assigned to one of its interfaces (read once per call; cheap).
func LocalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range ifaddrs {
		if pfx, err := netip.ParsePrefix(ia.String()); err == nil && pfx.Addr().Unmap() == a.WithZone("") {
			return true
		}
	}
	return false
}
