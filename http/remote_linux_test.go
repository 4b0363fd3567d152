//go:build linux

package http_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/testnet"
)

// remote returns an HTTP client whose connections start inside ns: to the
// server on the host they come from another machine's address.
func remote(ns *testnet.NS) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = ns.Do(func() (err error) {
				c, err = (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, network, addr)
				return err
			})
			return c, err
		}}}
}

func do(t *testing.T, c *http.Client, method, url, host, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pageRoutes are the GET routes the web page reads.
var pageRoutes = []string{"/v1/ports/443", "/v1/ports/443/udp", "/v1/search?q=https", "/v1/ranges", "/v1/sockets", "/v1/map", "/v1/assignments?conflicts=1",
	"/v1/leases", "/v1/assignments", "/v1/audit", "/healthz", "/metrics"}

// Reads from another host need a token, and a read token opens every GET
// route the page uses; --public-reads opens them to anyone who reaches
// the server, by any host name, while writes still need an admin token; a
// request from one of this host's own addresses reads like loopback.
func TestRemoteReads(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	listen := netip.AddrPortFrom(ns.HostAddr, 0).String()
	other := remote(ns)

	e := newEnvOn(t, listen, nil, nil)
	for _, path := range pageRoutes {
		if st, body := do(t, other, "GET", e.url+path, "", ""); st != 401 || !strings.Contains(body, "reads from outside this host need a bearer token") {
			t.Errorf("anonymous remote GET %s = %d %s; want 401", path, st, body)
		}
		if st, body := do(t, other, "GET", e.url+path, "", readToken); st != 200 {
			t.Errorf("remote GET %s with a read token = %d %s; want 200", path, st, body)
		}
	}
	// From this host, by its own non-loopback address: local.
	here := &http.Client{Timeout: 5 * time.Second}
	if st, body := do(t, here, "GET", e.url+"/v1/ranges", "", ""); st != 200 {
		t.Errorf("GET from this host's own address %s = %d %s; want 200 (local)", ns.HostAddr, st, body)
	}

	pub := newEnvOn(t, listen, nil, func(c *porthttp.Config) { c.PublicReads = true })
	for _, path := range pageRoutes {
		if st, body := do(t, other, "GET", pub.url+path, "ports.example.test:7780", ""); st != 200 {
			t.Errorf("--public-reads: anonymous remote GET %s = %d %s; want 200", path, st, body)
		}
	}
	if st, _ := do(t, other, "POST", pub.url+"/v1/leases", "", ""); st != 401 {
		t.Errorf("--public-reads: anonymous remote POST /v1/leases = %d; want 401", st)
	}
	if st, _ := do(t, other, "POST", pub.url+"/v1/leases", "", readToken); st != 403 {
		t.Errorf("--public-reads: POST /v1/leases with a read token = %d; want 403", st)
	}
}

// One remote client holds at most ClientConns connections (a new one
// replaces its oldest silent one), and over half the cap, connections
// idle or silent for a second are closed.
func TestRemoteClientConnLimits(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	listen := netip.AddrPortFrom(ns.HostAddr, 0).String()
	dial := func(addr string) net.Conn {
		var c net.Conn
		if err := ns.Do(func() (err error) { c, err = net.DialTimeout("tcp", addr, 3*time.Second); return err }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedWithin counts the conns the server closes within d, all
	// watched at once.
	closedWithin := func(conns []net.Conn, d time.Duration) int {
		var n atomic.Int32
		var wg sync.WaitGroup
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(d))
			wg.Go(func() {
				if _, err := c.Read(make([]byte, 1)); err == io.EOF {
					n.Add(1)
				}
			})
		}
		wg.Wait()
		return int(n.Load())
	}

	e := newEnvOn(t, listen, nil, func(c *porthttp.Config) { c.MaxConns = 100; c.ClientConns = 8 })
	addr := strings.TrimPrefix(e.url, "http://")
	var conns []net.Conn
	for range 20 {
		conns = append(conns, dial(addr))
		time.Sleep(5 * time.Millisecond)
	}
	if n := closedWithin(conns[:12], time.Second); n != 12 {
		t.Errorf("%d of the 12 oldest of 20 silent connections from one client were closed; want all 12 (limit 8)", n)
	}
	if n := closedWithin(conns[12:], 1500*time.Millisecond); n != 0 {
		t.Errorf("%d of the 8 newest were closed; want none (no pressure: 20 of 100 slots)", n)
	}
	if st, _ := do(t, remote(ns), "GET", e.url+"/v1/ranges", "", readToken); st != 200 {
		t.Errorf("a new request from the same client = %d; want 200", st)
	}

	// Over half the cap: silent connections go after a second.
	p := newEnvOn(t, listen, nil, func(c *porthttp.Config) { c.MaxConns = 10 })
	addr = strings.TrimPrefix(p.url, "http://")
	conns = conns[:0]
	for range 8 {
		conns = append(conns, dial(addr))
	}
	if n := closedWithin(conns, 900*time.Millisecond); n != 0 {
		t.Errorf("%d of 8 silent connections (cap 10) were closed within 0.9s; want none yet", n)
	}
	if n := closedWithin(conns, 2*time.Second); n < 3 {
		t.Errorf("%d of 8 silent connections (cap 10) were closed after 1-3s; want at least the 3 over half the cap", n)
	}
}
