package lease

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
)

// Google's portserver protocol (portpicker): one request per connection.
// The client writes its PID in ASCII decimal and a newline; the server
// answers with a port and a newline, or closes with nothing when it
// refuses. portolan leases the port to that PID, so it returns when the
// process exits.
const (
	// DefaultPortserver is portpicker's own default address (Linux's
	// abstract namespace).
	DefaultPortserver = "@unittest-portserver"
	// maxRequest is the longest request accepted; longer is refused.
	maxRequest = 20
	// requestTimeout bounds how long one client may take to ask.
	requestTimeout = 2 * time.Second
	// maxConns bounds the connections open at once, all users together.
	maxConns = 4096
)

// ListenUnix listens on a Unix stream socket. "@name" is Linux's abstract
// namespace (no file); "unix:PATH" and a plain PATH name a socket file,
// and a stale file nobody listens on is removed first.
func ListenUnix(addr string) (net.Listener, error) {
	addr = strings.TrimPrefix(addr, "unix:")
	if addr == "" {
		return nil, portolan.Errorf(portolan.EINVALID, "empty Unix socket address: want @NAME or a PATH")
	}
	if !strings.HasPrefix(addr, "@") {
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.DialTimeout("unix", addr, time.Second); err == nil {
				c.Close()
				return nil, portolan.Errorf(portolan.ECONFLICT, "a server already listens on %s", addr)
			}
			os.Remove(addr)
		}
	}
	return net.Listen("unix", addr)
}

// ServePortserver answers portserver requests on ln with leases from svc
// until ctx ends, then closes ln, waits for the requests in flight and
// returns nil. Refusals (PID 1, a PID <= 0, a PID that does not exist or
// that the caller may not name, garbage, no newline, more than 20 bytes, a
// failed grant) close the connection with nothing written, as the protocol
// wants.
//
// The caller is who the kernel says it is (SO_PEERCRED): the allocator lets
// it name only its own processes and bounds its user's live leases. The
// accept loop never waits for a slow client: every connection has its
// deadline from the moment it is accepted, and a user with too many
// connections still being read loses its oldest one, so idle connections
// cannot keep anyone else, or that user's next real request, waiting.
func ServePortserver(ctx context.Context, ln net.Listener, svc portolan.LeaseService) error {
	s := &portserver{svc: svc, open: map[uint32][]*psConn{}}
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		c.SetDeadline(time.Now().Add(requestTimeout))
		pc := s.admit(c)
		if pc == nil {
			c.Close()
			continue
		}
		wg.Go(func() { s.serve(ctx, pc) })
	}
}

const (
	// maxUserConns is how many connections still being read one user may
	// have before its oldest idle one is closed for a new one.
	maxUserConns = 64
	// idleGrace is how long a connection may go without its request before
	// it counts as idle.
	idleGrace = 250 * time.Millisecond
	// unknownUID groups the callers whose credentials the kernel does not
	// give (outside Linux).
	unknownUID = ^uint32(0)
)

// portserver tracks the open connections of each user.
type portserver struct {
	svc portolan.LeaseService

	mu    sync.Mutex
	open  map[uint32][]*psConn // by uid, oldest first
	total int
}

type psConn struct {
	c       net.Conn
	peer    *portolan.Peer
	uid     uint32
	reading bool      // the request is not read yet: may be evicted
	since   time.Time // accepted
}

// admit registers c under its user; nil refuses it. A connection still
// being read idleGrace after it was accepted is idle (real clients write
// their request at once): when its user has maxUserConns connections being
// read, the user's oldest idle one is closed for the new one, and when the
// server has maxConns open, the oldest idle one of the user with the most
// is. Connections whose request is read (a grant in progress) are never
// closed: they end by themselves.
func (s *portserver) admit(c net.Conn) *psConn {
	now := time.Now()
	pc := &psConn{c: c, uid: unknownUID, reading: true, since: now}
	if uid, pid, ok := peerCred(c); ok {
		pc.uid, pc.peer = uid, &portolan.Peer{UID: uid, PID: pid}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readingOf(pc.uid) >= maxUserConns {
		s.evictIdle(pc.uid, now)
	}
	if s.total >= maxConns {
		heavy, most := pc.uid, -1
		for uid := range s.open {
			if n := s.readingOf(uid); n > most {
				heavy, most = uid, n
			}
		}
		if !s.evictIdle(heavy, now) {
			return nil
		}
	}
	s.open[pc.uid] = append(s.open[pc.uid], pc)
	s.total++
	return pc
}

func (s *portserver) readingOf(uid uint32) int {
	n := 0
	for _, o := range s.open[uid] {
		if o.reading {
			n++
		}
	}
	return n
}

// evictIdle closes uid's oldest connection that has been read from for
// idleGrace without a request; false when there is none.
func (s *portserver) evictIdle(uid uint32, now time.Time) bool {
	conns := s.open[uid]
	i := slices.IndexFunc(conns, func(o *psConn) bool { return o.reading })
	if i < 0 || now.Sub(conns[i].since) < idleGrace {
		return false
	}
	conns[i].c.Close() // its handler sees the error and leaves
	if s.open[uid] = slices.Delete(conns, i, i+1); len(s.open[uid]) == 0 {
		delete(s.open, uid)
	}
	s.total--
	return true
}

// read marks pc's request as read: it is no longer evicted.
func (s *portserver) read(pc *psConn) {
	s.mu.Lock()
	pc.reading = false
	s.mu.Unlock()
}

func (s *portserver) done(pc *psConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.open[pc.uid]
	if i := slices.Index(conns, pc); i >= 0 {
		s.open[pc.uid] = slices.Delete(conns, i, i+1)
		s.total--
	}
	if len(s.open[pc.uid]) == 0 {
		delete(s.open, pc.uid)
	}
}

func (s *portserver) serve(ctx context.Context, pc *psConn) {
	defer s.done(pc)
	defer pc.c.Close()
	pid, ok := readPortserverRequest(pc.c)
	if !ok || pid <= 1 {
		return
	}
	s.read(pc)
	label := "portserver"
	if pc.peer != nil {
		label = "portserver uid " + strconv.FormatUint(uint64(pc.peer.UID), 10) + " pid " + strconv.Itoa(pc.peer.PID)
	}
	ls, err := s.svc.Grant(ctx, portolan.LeaseRequest{Count: 1, PID: pid, Label: label, Peer: pc.peer})
	if err != nil || len(ls) != 1 {
		return
	}
	ans := strconv.AppendUint(nil, uint64(ls[0].Port), 10)
	pc.c.SetWriteDeadline(time.Now().Add(requestTimeout))
	if _, err := pc.c.Write(append(ans, '\n')); err != nil {
		// Nobody learnt the port: it must not stay leased.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		s.svc.Release(rctx, ls[0].Port)
		cancel()
	}
}

// readPortserverRequest reads "PID\n". Anything but digits, no newline
// (the client closed its side, or the deadline passed), or more than 20
// bytes, is refused.
func readPortserverRequest(c net.Conn) (int, bool) {
	buf := make([]byte, 0, maxRequest+1)
	tmp := make([]byte, maxRequest+1)
	for len(buf) <= maxRequest {
		n, err := c.Read(tmp[:maxRequest+1-len(buf)])
		buf = append(buf, tmp[:n]...)
		if i := strings.IndexByte(string(buf), '\n'); i >= 0 {
			if i != len(buf)-1 {
				return 0, false // bytes after the newline: not one request
			}
			return parsePortserverPID(buf[:i])
		}
		if err != nil {
			return 0, false
		}
	}
	return 0, false
}

// parsePortserverPID parses the PID of a portserver request: ASCII decimal,
// optional surrounding blanks, at most 20 bytes.
func parsePortserverPID(b []byte) (int, bool) {
	s := strings.TrimSpace(string(b))
	if s == "" || len(b) > maxRequest {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid > 1<<22 {
		return 0, false
	}
	return pid, true
}

// peerCred returns the uid and pid of the process at the other end of a
// Unix socket, as the kernel recorded them when it connected.
func peerCred(c net.Conn) (uint32, int, bool) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return 0, 0, false
	}
	return unixPeer(uc)
}

// AskPortserver asks the portserver at addr for a port owned by pid, as
// portpicker does. ECONFLICT when the server refuses (closes with nothing).
func AskPortserver(ctx context.Context, addr string, pid int) (portolan.Port, error) {
	addr = strings.TrimPrefix(addr, "unix:")
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return 0, portolan.Errorf(portolan.EINTERNAL, "portserver %s: %s", addr, errText(err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	if _, err := c.Write([]byte(strconv.Itoa(pid) + "\n")); err != nil {
		return 0, portolan.Errorf(portolan.EINTERNAL, "portserver %s: %s", addr, errText(err))
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if line == "" && err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, portolan.Errorf(portolan.ETIMEOUT, "portserver %s did not answer", addr)
		}
		return 0, portolan.Errorf(portolan.ECONFLICT, "portserver %s refused to lease a port for pid %d", addr, pid)
	}
	p, perr := portolan.ParsePort(strings.TrimSpace(line))
	if perr != nil || p == 0 {
		return 0, portolan.Errorf(portolan.EINTERNAL, "portserver %s answered %q, not a port", addr, strings.TrimSpace(line))
	}
	return p, nil
}

func errText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		var se *os.SyscallError
		if errors.As(oe.Err, &se) {
			return se.Err.Error()
		}
		return oe.Err.Error()
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "connection refused"
	}
	return err.Error()
}
