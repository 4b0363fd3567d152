package pgtest

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Relay forwards loopback TCP connections to a database server until it is
// stalled: then it keeps every connection open and accepts new ones but
// passes nothing on, as a network partition does (no reset, no FIN), so
// tests can check that store calls and shutdown are bounded.
type Relay struct {
	DSN string // the database's DSN with the relay's address in place of the server's

	ln      net.Listener
	target  string
	stalled atomic.Bool
	done    chan struct{}
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

// NewRelay starts a relay on 127.0.0.1 to the server of dsn (a URL-form
// DSN such as New returns); it is closed when t ends.
func NewRelay(t testing.TB, dsn string) *Relay {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("pgtest: relay to %q: want a postgres://USER@HOST:PORT/DB DSN", dsn)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{ln: ln, target: u.Host, done: make(chan struct{})}
	u.Host = ln.Addr().String()
	r.DSN = u.String()
	r.wg.Go(r.accept)
	t.Cleanup(r.close)
	return r
}

// Stall stops forwarding; Resume starts again, delivering what was held.
func (r *Relay) Stall()  { r.stalled.Store(true) }
func (r *Relay) Resume() { r.stalled.Store(false) }

func (r *Relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", r.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, c, s)
		r.mu.Unlock()
		r.wg.Go(func() { r.pipe(s, c) })
		r.wg.Go(func() { r.pipe(c, s) })
	}
}

// pipe copies src to dst, holding what it read while the relay is stalled.
func (r *Relay) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		for r.stalled.Load() {
			select {
			case <-r.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (r *Relay) close() {
	close(r.done)
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
