package portolan

import (
	"net/netip"
	"strconv"
	"time"
)

// Socket is one socket on this host, as the kernel reports it. Its JSON is
// the one socket shape of the CLI (`ls --json`, `portolan QUERY --json`)
// and the API; other documents add fields beside it, never change it.
type Socket struct {
	Proto  Proto          `json:"protocol"`
	Local  netip.AddrPort `json:"local"`
	Remote netip.AddrPort `json:"remote"`          // zero for listeners and unconnected UDP
	State  SocketState    `json:"state"`           // kernel state name: LISTEN, ESTABLISHED, UNCONN, ...
	Inode  uint64         `json:"inode,omitempty"` // the socket inode that ties it to a process
	UID    uint32         `json:"uid"`             // the socket's owner, known even when the process is hidden
	Owner  *Process       `json:"owner,omitempty"` // nil when no process holds it or /proc hides it
	Hidden bool           `json:"pid_hidden,omitempty"`
	// NetNS is the network namespace the socket lives in, set when a
	// listing reads more than this process's own (ls --netns).
	NetNS *NetNS `json:"netns,omitempty"`
	// Exposure is how far a listener reaches and the firewall's verdict:
	// portolan's inference, set only by callers that work it out (the
	// API's listeners, for the page).
	Exposure *Reachability `json:"exposure,omitempty"`
}

// NetNS names a network namespace: its inode (what ip netns identify and
// readlink /proc/PID/ns/net shows), its ip netns name when it has one, and
// what runs in it ("host", "container docker 3f2a…", "pid 812 (nginx)").
type NetNS struct {
	Inode   uint64 `json:"inode"`
	Name    string `json:"name,omitempty"`
	Context string `json:"context,omitempty"`
}

// Label is how a table names the namespace: its name, else its context,
// else its inode.
func (n *NetNS) Label() string {
	switch {
	case n == nil:
		return "-"
	case n.Name != "":
		return n.Name
	case n.Context != "":
		return n.Context
	}
	return "net:[" + strconv.FormatUint(n.Inode, 10) + "]"
}

// SocketState is a socket's state by the kernel's name for it, as ss(8)
// prints it.
type SocketState string

// The states sockets are in, by ss(8)'s names: a TCP socket in the kernel's
// CLOSE state (bound, no peer) and every UDP socket without a peer are
// UNCONN, and the kernel's NEW_SYN_RECV is SYN_RECV.
const (
	StateEstablished SocketState = "ESTABLISHED"
	StateSynSent     SocketState = "SYN_SENT"
	StateSynRecv     SocketState = "SYN_RECV"
	StateFinWait1    SocketState = "FIN_WAIT1"
	StateFinWait2    SocketState = "FIN_WAIT2"
	StateTimeWait    SocketState = "TIME_WAIT"
	StateUnconn      SocketState = "UNCONN"
	StateCloseWait   SocketState = "CLOSE_WAIT"
	StateLastAck     SocketState = "LAST_ACK"
	StateListen      SocketState = "LISTEN"
	StateClosing     SocketState = "CLOSING"
	StateUnknown     SocketState = "UNKNOWN" // a state number this code does not know
)

// String returns the kernel's name.
func (s SocketState) String() string { return string(s) }

// Listening reports whether s accepts connections (TCP LISTEN) or is a bound
// UDP socket with no peer.
func (s Socket) Listening() bool {
	return s.State == StateListen || (s.Proto == UDP && !s.Remote.IsValid())
}

// Same reports whether s and o are the same socket: a lookup that reaches
// one socket through two overlapping ranges lists it once.
func (s Socket) Same(o Socket) bool {
	return s.Proto == o.Proto && s.Local == o.Local && s.Remote == o.Remote && s.Inode == o.Inode
}

// Process is the process that holds a socket or a lease.
type Process struct {
	PID     int       `json:"pid"`
	Name    string    `json:"name"`              // comm
	Cmdline []string  `json:"cmdline,omitempty"` // argv
	User    string    `json:"user,omitempty"`    // login name, or the uid in decimal
	UID     uint32    `json:"uid"`
	Start   time.Time `json:"start"` // wall-clock start time
	// StartTicks is field 22 of /proc/PID/stat, clock ticks after boot. With
	// PID it identifies a process across PID reuse.
	StartTicks uint64 `json:"start_ticks,omitempty"`
	// Holder is what portolan worked out about the process (its container,
	// unit, supervisor, checkout): an inference, never written into the
	// fields above. Nil when not asked for or not known.
	Holder *Holder `json:"holder,omitempty"`
}
