package portolan

import (
	"net/netip"
	"time"
)

// Socket is one socket on this host, as the kernel reports it.
type Socket struct {
	Proto  Proto          `json:"protocol"`
	Local  netip.AddrPort `json:"local"`
	Remote netip.AddrPort `json:"remote"`          // zero for listeners and unconnected UDP
	State  string         `json:"state"`           // kernel state name: LISTEN, ESTABLISHED, UNCONN, ...
	Inode  uint64         `json:"inode,omitempty"` // the socket inode that ties it to a process
	UID    uint32         `json:"uid"`             // the socket's owner, known even when the process is hidden
	Owner  *Process       `json:"owner,omitempty"` // nil when no process holds it or /proc hides it
	Hidden bool           `json:"pid_hidden,omitempty"`
}

// Listening reports whether s accepts connections (TCP LISTEN) or is a bound
// UDP socket with no peer.
func (s Socket) Listening() bool {
	return s.State == "LISTEN" || (s.Proto == UDP && !s.Remote.IsValid())
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
}
