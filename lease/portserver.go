package lease

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
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
	// maxConns bounds the connections served at once.
	maxConns = 256
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
// returns nil. Refusals (PID 1, a PID <= 0, a PID that does not exist,
// garbage, more than 20 bytes, a failed grant) close the connection with
// nothing written, as the protocol wants.
func ServePortserver(ctx context.Context, ln net.Listener, svc portolan.LeaseService) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	sem := make(chan struct{}, maxConns)
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
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			c.Close()
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			servePortserverConn(ctx, c, svc)
		}()
	}
}

func servePortserverConn(ctx context.Context, c net.Conn, svc portolan.LeaseService) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(requestTimeout))
	pid, ok := readPortserverRequest(c)
	if !ok || pid <= 1 {
		return
	}
	label := "portserver"
	if uid, peer, ok := peerCred(c); ok {
		label = "portserver uid " + strconv.Itoa(int(uid)) + " pid " + strconv.Itoa(peer)
	}
	ls, err := svc.Grant(ctx, portolan.LeaseRequest{Count: 1, PID: pid, Label: label})
	if err != nil || len(ls) != 1 {
		return
	}
	c.Write(strconv.AppendUint(nil, uint64(ls[0].Port), 10))
	c.Write([]byte{'\n'})
}

// readPortserverRequest reads "PID\n" (the newline may be replaced by the
// client closing its write side). Anything but digits, or more than 20
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
			return ParsePortserverPID(buf[:i])
		}
		if err != nil {
			return ParsePortserverPID(buf)
		}
	}
	return 0, false
}

// ParsePortserverPID parses the PID of a portserver request: ASCII decimal,
// optional surrounding blanks, at most 20 bytes.
func ParsePortserverPID(b []byte) (int, bool) {
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
// Unix socket, recorded in the lease label so a listing shows who asked.
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
