package http

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// localAddrs is the set of this host's own addresses, refreshed at most
// every localTTL: a request from one of them comes from this host (a
// browser here opening the server by the host's LAN address), so it reads
// like a loopback request. A TCP peer cannot fake its source address past
// the handshake, so this admits no one from elsewhere.
type localAddrs struct {
	mu    sync.Mutex
	at    time.Time
	addrs map[netip.Addr]bool
}

const localTTL = 5 * time.Second

func (l *localAddrs) has(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addrs == nil || time.Since(l.at) >= localTTL {
		l.addrs, l.at = map[netip.Addr]bool{}, time.Now()
		if as, err := net.InterfaceAddrs(); err == nil {
			for _, ia := range as {
				if p, err := netip.ParsePrefix(ia.String()); err == nil {
					l.addrs[p.Addr().Unmap()] = true
				}
			}
		}
	}
	return l.addrs[a]
}

// fromLocal reports whether r comes from this host: loopback or one of the
// host's own addresses.
func (s *Server) fromLocal(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap().WithZone("") // link-local peers carry a zone; the interface list does not
	return a.IsLoopback() || s.local.has(a)
}
