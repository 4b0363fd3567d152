package lease_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

// startPortserver serves an allocator over a fresh abstract socket.
func startPortserver(t *testing.T) (addr string, a *lease.Allocator) {
	t.Helper()
	store, _ := openStore(t)
	a = lease.New(store, lease.Options{Host: fakeHost})
	return servePortserver(t, a), a
}

// servePortserver serves svc over a fresh abstract socket until the test ends.
func servePortserver(t *testing.T, svc portolan.LeaseService) string {
	t.Helper()
	addr := fmt.Sprintf("@portolan-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	ln, err := lease.ListenUnix(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lease.ServePortserver(ctx, ln, svc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServePortserver: %v", err)
		}
	})
	return addr
}

// raw sends req over a new connection the way portpicker does and returns
// everything the server wrote before closing.
func raw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	c.(*net.UnixConn).CloseWrite()
	// A refusal with unread request bytes left arrives as a reset: still a
	// close with nothing.
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading the answer to %q: %v", req, err)
	}
	return string(b)
}

func TestPortserverRawClient(t *testing.T) {
	addr, a := startPortserver(t)
	if !strings.HasPrefix(addr, "@") {
		t.Fatal("not an abstract address")
	}
	pid := os.Getpid()
	ans := raw(t, addr, strconv.Itoa(pid)+"\n")
	if !strings.HasSuffix(ans, "\n") || strings.Count(ans, "\n") != 1 {
		t.Fatalf("answer %q, want one port and a newline", ans)
	}
	p, err := portolan.ParsePort(strings.TrimSuffix(ans, "\n"))
	if err != nil || p < 1024 {
		t.Fatalf("answer %q is not a user port: %v", ans, err)
	}
	ls, _ := a.Leases(ctxT(t))
	if len(ls) != 1 || ls[0].Port != p || ls[0].PID != pid || ls[0].PIDStart == 0 {
		t.Fatalf("leases %+v, want port %d owned by pid %d with its start tick", ls, p, pid)
	}
	if !strings.Contains(ls[0].Label, "portserver uid ") {
		t.Errorf("label %q does not record who asked", ls[0].Label)
	}
	// The client library's path.
	q, err := lease.AskPortserver(ctxT(t), addr, pid)
	if err != nil || q == p {
		t.Fatalf("AskPortserver = %d, %v; want a second, different port", q, err)
	}
}

func TestPortserverRefusals(t *testing.T) {
	addr, a := startPortserver(t)
	dead := deadPID(t)
	for _, req := range []string{
		"garbage\n", "1\n", "0\n", "-5\n", strconv.Itoa(dead) + "\n",
		strings.Repeat("1", 21) + "\n", "123 456\n", "\n", "",
		strconv.Itoa(os.Getpid()) + "\n" + strconv.Itoa(os.Getpid()) + "\n",
	} {
		if ans := raw(t, addr, req); ans != "" {
			t.Errorf("request %q answered %q, want a close with nothing", req, ans)
		}
	}
	if ls, _ := a.Leases(ctxT(t)); len(ls) != 0 {
		t.Errorf("refused requests left leases: %v", ls)
	}
	if _, err := lease.AskPortserver(ctxT(t), addr, 1); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Errorf("AskPortserver(pid 1) error = %v, want ECONFLICT (refused)", err)
	}
	// A PID without a newline is no request, even with the write side closed.
	if ans := raw(t, addr, strconv.Itoa(os.Getpid())); ans != "" {
		t.Errorf("a PID without a newline was answered %q, want a close with nothing", ans)
	}
	if ls, _ := a.Leases(ctxT(t)); len(ls) != 0 {
		t.Errorf("a PID without a newline left leases: %v", ls)
	}
}

func TestPortserverSlowClientTimesOut(t *testing.T) {
	addr, _ := startPortserver(t)
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("12"))
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	start := time.Now()
	b, _ := io.ReadAll(c)
	if len(b) != 0 || time.Since(start) > 10*time.Second {
		t.Fatalf("a client that never finished got %q after %v, want a close with nothing within the request timeout", b, time.Since(start))
	}
}

func TestListenUnixPath(t *testing.T) {
	path := t.TempDir() + "/ps.sock"
	ln, err := lease.ListenUnix("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.ListenUnix(path); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Errorf("second listener on a live socket: error = %v, want ECONFLICT", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	// A stale socket file from a crashed server is replaced.
	ln, err = lease.ListenUnix(path)
	if err != nil {
		t.Fatalf("listening over a stale socket file: %v", err)
	}
	ln.Close()
	if _, err := lease.AskPortserver(ctxT(t), path, os.Getpid()); err == nil {
		t.Error("AskPortserver to a closed socket succeeded")
	}
}

// A PID without a newline on a connection the client keeps open is no
// request: the deadline passes with nothing written and nothing leased.
func TestPortserverNoNewlineKeptOpen(t *testing.T) {
	addr, a := startPortserver(t)
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(strconv.Itoa(os.Getpid())))
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Fatalf("a PID without a newline was answered %q", b)
	}
	if ls, _ := a.Leases(ctxT(t)); len(ls) != 0 {
		t.Fatalf("a PID without a newline was granted %v", ls)
	}
}

// gatedLeases holds each grant until the test opens the gate, and reports
// what it granted.
type gatedLeases struct {
	portolan.LeaseService
	gate    chan struct{}
	granted chan []portolan.Lease
}

func (g gatedLeases) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	<-g.gate
	ls, err := g.LeaseService.Grant(ctx, req)
	g.granted <- ls
	return ls, err
}

// A grant whose answer cannot be written (the client left) is released:
// nobody knows the port, so nobody may keep it.
func TestPortserverUnansweredGrantReleased(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	g := gatedLeases{a, make(chan struct{}), make(chan []portolan.Lease, 1)}
	addr := servePortserver(t, g)
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(strconv.Itoa(os.Getpid()) + "\n"))
	c.Close()
	close(g.gate)
	if ls := <-g.granted; len(ls) != 1 {
		t.Fatalf("the grant itself failed: %v", ls)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ls, _ := store.Leases(ctxT(t))
		if len(ls) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unanswered grant is still leased: %v", ls)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two thousand idle connections do not keep a real client waiting: the
// accept loop never blocks on them, and the idle connections of one user
// past its bound are closed oldest first.
func TestPortserverIdleConnectionsDoNotBlock(t *testing.T) {
	addr, _ := startPortserver(t)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 2000 {
		c, err := net.Dial("unix", addr)
		if err != nil {
			t.Fatalf("idle connection %d: %v", len(idle)+1, err)
		}
		idle = append(idle, c)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctxT(t), 5*time.Second)
	defer cancel()
	p, err := lease.AskPortserver(ctx, addr, os.Getpid())
	if took := time.Since(start); err != nil || took > time.Second {
		t.Fatalf("a real client behind 2000 idle connections: port %d, %v after %v; want a port within 1s", p, err, took)
	}
	t.Logf("a real client behind 2000 idle connections got port %d in %v", p, time.Since(start))
}

// The bound on one user's connections counts only those still being read:
// many concurrent real requests of one user are all answered.
func TestPortserverManyConcurrentClientsOfOneUser(t *testing.T) {
	addr, _ := startPortserver(t)
	const n = 200
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := lease.AskPortserver(ctxT(t), addr, os.Getpid())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// A user's idle connections past its bound are closed oldest first, long
// before their deadline.
func TestPortserverEvictsOldestIdle(t *testing.T) {
	addr, _ := startPortserver(t)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 64 {
		c, err := net.Dial("unix", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	time.Sleep(300 * time.Millisecond) // past the grace: they are idle now
	start := time.Now()
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	idle = append(idle, c)
	idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(idle[0])
	if len(b) != 0 || time.Since(start) > time.Second {
		t.Errorf("the oldest idle connection: read %q, %v after %v; want it closed at once", b, err, time.Since(start))
	}
}
