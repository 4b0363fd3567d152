// Package sockets is the local socket inventory: which TCP and UDP sockets
// exist on this host and which processes hold them.
//
// On Linux the sockets come from NETLINK_SOCK_DIAG (inet_diag), with the
// state mask and the port filter applied by the kernel, and from
// /proc/net/{tcp,tcp6,udp,udp6} when netlink is refused. Owners come from
// /proc/PID/fd, read only until every wanted socket inode is found, which is
// why asking for one port's owner is much cheaper than listing every owner.
// Other operating systems build, and every call returns an EUNSUPPORTED
// error.
package sockets

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Filter selects sockets. The zero Filter selects listening TCP sockets and
// bound, unconnected UDP sockets of both families, without owners.
type Filter struct {
	Protos   []portolan.Proto // TCP and/or UDP; empty means both
	Families []int            // 4 and/or 6; empty means both
	// States are kernel state names as State returns them (LISTEN,
	// ESTABLISHED, TIME_WAIT, UNCONN, ...). Empty means the listening
	// states, or every state when All is set.
	States     []string
	All        bool
	Port       portolan.Port  // the local port; 0 matches every port
	Ports      portolan.Range // local ports Lo-Hi when Port is 0; the zero Range matches every port
	PID        int            // only sockets held by this process; implies owners
	Proc       string         // only sockets held by a process of this name (comm); implies owners
	WithOwners bool           // look up the processes that hold the sockets
}

// List returns the sockets f selects, sorted by protocol, local port, family
// and address. With owners, sockets that /proc hides (another user's
// process, hidepid) carry Hidden=true and the socket's uid instead of an
// owner.
func List(ctx context.Context, f Filter) ([]portolan.Socket, error) {
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	return list(ctx, q)
}

// Owners returns the listening sockets on exactly port p (TCP LISTEN, bound
// unconnected UDP) with the processes that hold them. proto ProtoAny means
// TCP and UDP. Clients connected to p are never included.
func Owners(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	f := Filter{Port: p, WithOwners: true}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	if p == 0 {
		return nil, portolan.Errorf(portolan.EINVALID, "port 0 cannot be listened on: want a port 1-65535")
	}
	return List(ctx, f)
}

// Listening reports whether a socket listens on port p (TCP LISTEN or bound
// unconnected UDP, any address, either family). It looks up no owners and
// lets the kernel filter, so it is cheap enough to poll.
func Listening(ctx context.Context, p portolan.Port, proto portolan.Proto) (bool, error) {
	return exists(ctx, p, proto, false)
}

// InUse reports whether any socket, in any state, has p as its local port:
// listeners, connections (including TIME_WAIT) and, where the kernel reports
// them, TCP sockets that are bound but not listening. Allocators use it to
// skip ports something holds.
func InUse(ctx context.Context, p portolan.Port, proto portolan.Proto) (bool, error) {
	return exists(ctx, p, proto, true)
}

// query is a validated Filter.
type query struct {
	tcp, udp   bool
	v4, v6     bool
	tcpStates  uint32        // kernel state bit mask for TCP
	udpStates  uint32        // kernel state bit mask for UDP
	lo, hi     portolan.Port // local port range; 0-65535 for all
	pid        int
	proc       string
	withOwners bool
	procNet    bool // read /proc/net even when netlink answers (tests)
	threadNet  bool // read the calling thread's namespace (DumpHere)
}

// Kernel socket states (include/net/tcp_states.h). UDP uses ESTABLISHED for
// connected sockets and CLOSE for bound, unconnected ones.
const (
	stEstablished   = 1
	stSynSent       = 2
	stSynRecv       = 3
	stFinWait1      = 4
	stFinWait2      = 5
	stTimeWait      = 6
	stClose         = 7
	stCloseWait     = 8
	stLastAck       = 9
	stListen        = 10
	stClosing       = 11
	stNewSynRecv    = 12
	stBoundInactive = 13 // a pseudo state: TCP sockets bound but not listening (Linux 6.5+)
)

// stateNames are the names State returns, indexed by kernel state. CLOSE is
// UNCONN, as ss calls it: the socket is bound and has no peer.
var stateNames = [...]portolan.SocketState{
	"", portolan.StateEstablished, portolan.StateSynSent, portolan.StateSynRecv, portolan.StateFinWait1,
	portolan.StateFinWait2, portolan.StateTimeWait, portolan.StateUnconn, portolan.StateCloseWait,
	portolan.StateLastAck, portolan.StateListen, portolan.StateClosing, portolan.StateSynRecv, portolan.StateUnconn,
}

// allStates is every real state (ss -a): bits 1-12.
const allStates = 1<<13 - 2

// StateName returns the name of kernel state st.
func StateName(st uint8) portolan.SocketState {
	if int(st) < len(stateNames) && st != 0 {
		return stateNames[st]
	}
	return portolan.StateUnknown
}

// ValidStates lists the names ParseState accepts, for messages and completion.
var ValidStates = []string{"LISTEN", "UNCONN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK", "CLOSING"}

// ParseState parses a state name in any case, with '-' or '_' ("time-wait"),
// and the abbreviations ss prints ("estab", "close" for UNCONN). It returns
// the canonical name.
func ParseState(s string) (string, error) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	switch n {
	case "ESTAB":
		n = "ESTABLISHED"
	case "CLOSE":
		n = "UNCONN"
	case "SYN_RECEIVED":
		n = "SYN_RECV"
	}
	if slices.Contains(ValidStates, n) {
		return n, nil
	}
	return "", portolan.Errorf(portolan.EINVALID, "state %q is not one of %s", s, strings.ToLower(strings.Join(ValidStates, ", ")))
}

// stateMask returns the kernel state bits of a canonical state name.
func stateMask(name string) uint32 {
	var m uint32
	for st, n := range stateNames {
		if st > 0 && st < stBoundInactive && string(n) == name {
			m |= 1 << st
		}
	}
	return m
}

func compile(f Filter) (query, error) {
	q := query{lo: 0, hi: portolan.MaxPort, pid: f.PID, proc: f.Proc}
	switch {
	case f.Port != 0:
		q.lo, q.hi = f.Port, f.Port
	case f.Ports != portolan.Range{}:
		if f.Ports.Lo > f.Ports.Hi {
			return q, portolan.Errorf(portolan.EINVALID, "port range %d-%d is backwards: want LO-HI with LO <= HI", f.Ports.Lo, f.Ports.Hi)
		}
		q.lo, q.hi = f.Ports.Lo, f.Ports.Hi
	}
	q.withOwners = f.WithOwners || f.PID != 0 || f.Proc != ""
	if f.PID < 0 {
		return q, portolan.Errorf(portolan.EINVALID, "pid %d is not a process id: want a positive number", f.PID)
	}
	if len(f.Protos) == 0 {
		q.tcp, q.udp = true, true
	}
	for _, p := range f.Protos {
		switch p {
		case portolan.TCP:
			q.tcp = true
		case portolan.UDP:
			q.udp = true
		case portolan.ProtoAny:
			q.tcp, q.udp = true, true
		default:
			return q, portolan.Errorf(portolan.EINVALID, "protocol %s has no socket inventory: want tcp or udp", p)
		}
	}
	if len(f.Families) == 0 {
		q.v4, q.v6 = true, true
	}
	for _, fam := range f.Families {
		switch fam {
		case 4:
			q.v4 = true
		case 6:
			q.v6 = true
		default:
			return q, portolan.Errorf(portolan.EINVALID, "address family %d is not 4 or 6", fam)
		}
	}
	switch {
	case len(f.States) > 0:
		for _, s := range f.States {
			name, err := ParseState(s)
			if err != nil {
				return q, err
			}
			m := stateMask(name)
			q.tcpStates |= m
			if name == "ESTABLISHED" || name == "UNCONN" {
				q.udpStates |= m
			}
		}
	case f.All:
		q.tcpStates, q.udpStates = allStates, allStates
	default:
		q.tcpStates, q.udpStates = 1<<stListen, 1<<stClose
	}
	return q, nil
}

// wants reports whether a socket from a dump matches q; it repeats in user
// space what the kernel already filtered, so the /proc/net fallback and
// kernels that ignore part of a request give the same answer.
func (q *query) wants(s *portolan.Socket, st uint8) bool {
	var mask uint32
	switch s.Proto {
	case portolan.TCP:
		if !q.tcp {
			return false
		}
		mask = q.tcpStates
	case portolan.UDP:
		if !q.udp {
			return false
		}
		mask = q.udpStates
	default:
		return false
	}
	if st == stBoundInactive {
		st = stClose
	}
	if mask&(1<<st) == 0 {
		return false
	}
	if is4 := s.Local.Addr().Is4(); is4 && !q.v4 || !is4 && !q.v6 {
		return false
	}
	p := portolan.Port(s.Local.Port())
	return q.lo <= p && p <= q.hi
}

// keepOwned applies the PID and process-name filters after owner lookup.
func (q *query) keepOwned(socks []portolan.Socket) []portolan.Socket {
	if q.pid == 0 && q.proc == "" {
		return socks
	}
	return slices.DeleteFunc(socks, func(s portolan.Socket) bool {
		if s.Owner == nil {
			return true
		}
		return q.pid != 0 && s.Owner.PID != q.pid || q.proc != "" && s.Owner.Name != q.proc
	})
}

// sortSockets orders sockets for people: protocol, local port, family,
// address, then the remote end. ls -a sorts ten thousand sockets, so it
// sorts small (key, index) pairs and compares whole sockets only on ties.
func sortSockets(s []portolan.Socket) {
	type entry struct {
		key uint64
		i   int32
	}
	es := make([]entry, len(s))
	for i := range s {
		k := uint64(s[i].Proto)<<40 | uint64(s[i].Local.Port())<<24
		if !s[i].Local.Addr().Is4() {
			k |= 1 << 23
		}
		es[i] = entry{k, int32(i)}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return compareSockets(&s[a.i], &s[b.i])
	})
	sorted := make([]portolan.Socket, len(s))
	for j, e := range es {
		sorted[j] = s[e.i]
	}
	copy(s, sorted)
}

func compareSockets(a, b *portolan.Socket) int {
	if a.Proto != b.Proto {
		return int(a.Proto) - int(b.Proto)
	}
	if a.Local.Port() != b.Local.Port() {
		return int(a.Local.Port()) - int(b.Local.Port())
	}
	if a4, b4 := a.Local.Addr().Is4(), b.Local.Addr().Is4(); a4 != b4 {
		if a4 {
			return -1
		}
		return 1
	}
	if c := a.Local.Addr().Compare(b.Local.Addr()); c != 0 {
		return c
	}
	if c := a.Remote.Compare(b.Remote); c != 0 {
		return c
	}
	return strings.Compare(string(a.State), string(b.State))
}
