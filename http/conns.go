package http

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// The connection guard keeps clients that open connections and leave them
// idle (keep-alive) or silent from locking the API out. Without it, 1,024
// idle connections, even ones that only ever got a 401, held every slot
// for the whole keep-alive timeout. With it:
//
//   - one client (a remote address; all of loopback counts as one) holds
//     at most its share of the slots, and a new connection beyond the share
//     replaces that client's oldest idle or silent one;
//   - at the total cap, a new connection replaces the oldest idle one;
//   - over half the cap, connections idle or silent for pressureIdle are
//     closed (a real client sends its request at once and reconnects);
//   - answers 401 close their connection (errors.go).

// pressureIdle is how long a connection may sit idle or silent while more
// than half the slots are taken.
const pressureIdle = time.Second

// janitorEvery is how often the guard looks for such connections.
const janitorEvery = 250 * time.Millisecond

// loopbackKey is the one client all loopback addresses count as: a local
// user can pick any of 127.0.0.0/8 as the source.
var loopbackKey = netip.IPv6Loopback()

type connGuard struct {
	max       int // connections in all
	perClient int // per remote address
	perLocal  int // all loopback callers together

	mu     sync.Mutex
	cond   *sync.Cond // signalled when a connection ends or the listener closes
	conns  map[*guardedConn]struct{}
	byKey  map[netip.Addr]int
	closed bool
}

func newConnGuard(total, perClient int) *connGuard {
	perClient = min(perClient, total)
	g := &connGuard{max: total, perClient: perClient, perLocal: max(total/2, perClient),
		conns: map[*guardedConn]struct{}{}, byKey: map[netip.Addr]int{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// guardedConn is one accepted connection and what the server last did
// with it (new: no request yet; idle: between requests).
type guardedConn struct {
	net.Conn
	g     *connGuard
	key   netip.Addr
	state http.ConnState // guarded by g.mu
	since time.Time      // when state began
	once  sync.Once
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.g.remove(c))
	return err
}

func (g *connGuard) remove(c *guardedConn) func() {
	return func() {
		g.mu.Lock()
		delete(g.conns, c)
		if g.byKey[c.key]--; g.byKey[c.key] <= 0 {
			delete(g.byKey, c.key)
		}
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}

// clientKey is the address a connection counts against: the IPv4
// address, the /64 of an IPv6 address (one host commonly holds a whole
// /64 and could rotate through it), or loopbackKey.
func clientKey(addr net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}
	}
	a := ap.Addr().Unmap().WithZone("")
	switch {
	case a.IsLoopback():
		return loopbackKey
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

func (g *connGuard) limit(key netip.Addr) int {
	if key == loopbackKey {
		return g.perLocal
	}
	return g.perClient
}

// admit makes room for c and registers it; false means c was refused
// (its client holds its share and none of it is idle) and closed.
func (g *connGuard) admit(nc net.Conn) (*guardedConn, bool) {
	c := &guardedConn{Conn: nc, g: g, key: clientKey(nc.RemoteAddr()), state: http.StateNew, since: time.Now()}
	g.mu.Lock()
	for {
		if g.closed {
			g.mu.Unlock()
			nc.Close()
			return nil, false
		}
		var victim *guardedConn
		switch {
		case g.byKey[c.key] >= g.limit(c.key):
			if victim = g.oldest(c.key, true, 0); victim == nil {
				g.mu.Unlock()
				nc.Close()
				return nil, false
			}
		case len(g.conns) >= g.max:
			if victim = g.oldest(netip.Addr{}, false, pressureIdle); victim == nil {
				g.cond.Wait() // every slot is busy: wait for one to end
				continue
			}
		default:
			g.conns[c] = struct{}{}
			g.byKey[c.key]++
			g.mu.Unlock()
			return c, true
		}
		g.mu.Unlock()
		victim.Close()
		g.mu.Lock()
	}
}

// oldest returns the connection idle longest, or with sameKey the oldest
// idle or silent one of key; silent ones qualify when older than silent.
// The caller holds mu.
func (g *connGuard) oldest(key netip.Addr, sameKey bool, silent time.Duration) *guardedConn {
	var best *guardedConn
	now := time.Now()
	for c := range g.conns {
		if sameKey && c.key != key {
			continue
		}
		ok := c.state == http.StateIdle || c.state == http.StateNew && (sameKey || now.Sub(c.since) >= silent)
		if ok && (best == nil || c.since.Before(best.since)) {
			best = c
		}
	}
	return best
}

// track is the http.Server's ConnState hook.
func (g *connGuard) track(nc net.Conn, st http.ConnState) {
	c, ok := nc.(*guardedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateNew, http.StateActive, http.StateIdle:
		g.mu.Lock()
		if st != c.state {
			c.state, c.since = st, time.Now()
		}
		g.mu.Unlock()
	}
}

// sweep closes connections idle or silent for pressureIdle while more than
// half the slots are taken.
func (g *connGuard) sweep() {
	g.mu.Lock()
	if len(g.conns) <= g.max/2 {
		g.mu.Unlock()
		return
	}
	var stale []*guardedConn
	now := time.Now()
	for c := range g.conns {
		if (c.state == http.StateIdle || c.state == http.StateNew) && now.Sub(c.since) >= pressureIdle {
			stale = append(stale, c)
		}
	}
	g.mu.Unlock()
	for _, c := range stale {
		c.Close()
	}
}

// guardedListener admits each accepted connection through the guard.
type guardedListener struct {
	net.Listener
	g    *connGuard
	stop chan struct{}
	once sync.Once
}

func (g *connGuard) listener(ln net.Listener) *guardedListener {
	l := &guardedListener{Listener: ln, g: g, stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(janitorEvery)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				g.sweep()
			}
		}
	}()
	return l
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c, ok := l.g.admit(nc); ok {
			return c, nil
		}
		select {
		case <-l.stop:
			return nil, net.ErrClosed
		default:
		}
	}
}

func (l *guardedListener) Close() error {
	l.once.Do(func() {
		close(l.stop)
		l.g.mu.Lock()
		l.g.closed = true
		l.g.cond.Broadcast()
		l.g.mu.Unlock()
	})
	return l.Listener.Close()
}
