package factory

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sockets"
)

// ownTokenTransport returns a transport that sends the implicit admin token
// only to a server this user (or root) runs. Every connection it opens is
// checked after connect(): the server's side of that very connection must
// belong to uid or to root in the kernel's socket table. Checking the
// connection, not the address before dialing, leaves no window in which
// another user's process could take the port between the check and the
// request.
func ownTokenTransport(tokenFile string, uid uint32) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dial := (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := checkPeer(ctx, conn, tokenFile, uid); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
	return t
}

// checkPeer finds the server's socket of conn (local and remote swapped)
// and refuses it unless its uid is uid or 0. The server's kernel creates
// that socket when the handshake completes, which on loopback is
// practically at once; a few short retries cover the rest.
func checkPeer(ctx context.Context, conn net.Conn, tokenFile string, uid uint32) error {
	us, ok1 := addrPort(conn.LocalAddr())
	them, ok2 := addrPort(conn.RemoteAddr())
	if !ok1 || !ok2 {
		return portolan.Errorf(portolan.EINVALID, "server %s: cannot tell who runs it; not sending the admin token from %s: give --token or PORTOLAN_TOKEN to send one", conn.RemoteAddr(), tokenFile)
	}
	for try := 0; try < 20; try++ {
		socks, err := sockets.List(ctx, sockets.Filter{All: true, Protos: []portolan.Proto{portolan.TCP}, Port: portolan.Port(them.Port())})
		if err != nil {
			return portolan.Errorf(portolan.EINVALID, "server %s: cannot tell who runs it (%s); not sending the admin token from %s: give --token or PORTOLAN_TOKEN to send one", them, portolan.ErrorMessage(err), tokenFile)
		}
		for _, s := range socks {
			if unmap(s.Local) != them || unmap(s.Remote) != us {
				continue
			}
			if s.UID == uid || s.UID == 0 {
				return nil
			}
			return portolan.Errorf(portolan.EINVALID, "server %s is run by %s, not by you: not sending the admin token from %s; give --token or PORTOLAN_TOKEN to send one anyway",
				them, sockets.UserName(s.UID), tokenFile)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return portolan.Errorf(portolan.EINVALID, "server %s: its socket is not in this host's socket table (another network namespace?); not sending the admin token from %s: give --token or PORTOLAN_TOKEN to send one", them, tokenFile)
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	return unmap(t.AddrPort()), true
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// currentUID is os.Getuid as the socket table spells it.
func currentUID() uint32 { return uint32(os.Getuid()) }
