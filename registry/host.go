package registry

import (
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
)

// HostRanges are this host's port ranges as its kernel applies them.
type HostRanges struct {
	// Ephemeral is where the kernel picks ports for outgoing connections
	// and bind(port 0).
	Ephemeral portolan.Range `json:"ephemeral"`
	// Reserved ports are skipped by automatic assignment; an explicit
	// bind still works.
	Reserved []portolan.Range `json:"reserved"`
	// UnprivilegedStart is the lowest port a process may bind without
	// privilege (CAP_NET_BIND_SERVICE).
	UnprivilegedStart portolan.Port `json:"unprivileged_start"`
	// Defaults is true when the values are the documented defaults of the
	// operating system rather than read from it.
	Defaults bool `json:"defaults"`
	// Source says where the values come from: the files read, or the
	// documentation the defaults follow.
	Source string `json:"source"`
}

// InEphemeral reports whether p is in the ephemeral range.
func (h HostRanges) InEphemeral(p portolan.Port) bool { return h.Ephemeral.Contains(p) }

// InReserved reports whether p is in ip_local_reserved_ports.
func (h HostRanges) InReserved(p portolan.Port) bool {
	for _, r := range h.Reserved {
		if r.Contains(p) {
			return true
		}
	}
	return false
}

// Linux's /proc files, relative to the proc root.
const (
	procPortRange   = "sys/net/ipv4/ip_local_port_range"
	procReserved    = "sys/net/ipv4/ip_local_reserved_ports"
	procUnprivStart = "sys/net/ipv4/ip_unprivileged_port_start"
)

// ParsePortRange parses ip_local_port_range: two numbers separated by
// blanks ("32768\t60999\n").
func ParsePortRange(s string) (portolan.Range, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return portolan.Range{}, portolan.Errorf(portolan.EINVALID, "ip_local_port_range %q: want two port numbers", s)
	}
	lo, err := portolan.ParsePort(f[0])
	if err != nil {
		return portolan.Range{}, err
	}
	hi, err := portolan.ParsePort(f[1])
	if err != nil {
		return portolan.Range{}, err
	}
	if lo > hi {
		return portolan.Range{}, portolan.Errorf(portolan.EINVALID, "ip_local_port_range %q is backwards", s)
	}
	return portolan.Range{Lo: lo, Hi: hi}, nil
}

// ParseReservedPorts parses ip_local_reserved_ports: a comma-separated list
// of ports and LO-HI ranges, possibly empty ("8080,9000-9010\n").
func ParseReservedPorts(s string) ([]portolan.Range, error) {
	out := []portolan.Range{} // none reserved is [] in JSON, not null
	for _, f := range strings.Split(strings.TrimSpace(s), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := portolan.ParseRange(f)
		if err != nil {
			return nil, portolan.Errorf(portolan.EINVALID, "ip_local_reserved_ports entry %q: %s", f, portolan.ErrorMessage(err))
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseUnprivilegedStart parses ip_unprivileged_port_start. The kernel
// accepts 0 to 65535; anything above 1023 beyond that would still be a port.
func ParseUnprivilegedStart(s string) (portolan.Port, error) {
	v := strings.TrimSpace(s)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > portolan.MaxPort {
		return 0, portolan.Errorf(portolan.EINVALID, "ip_unprivileged_port_start %q: want a port 0-65535", v)
	}
	return portolan.Port(n), nil
}

// CountAssignedIn counts the User ports (1024-49151) inside r that IANA
// assigns on TCP or UDP: the ports a server may find taken by an outgoing
// connection because the kernel hands them out as ephemeral ports.
func (reg *Registry) CountAssignedIn(r portolan.Range) int {
	n := 0
	lo, hi := max(r.Lo, portolan.User.Range().Lo), min(r.Hi, portolan.User.Range().Hi)
	for p := int(lo); p <= int(hi); p++ {
		if reg.Assigned(portolan.Port(p), portolan.TCP) || reg.Assigned(portolan.Port(p), portolan.UDP) {
			n++
		}
	}
	return n
}
