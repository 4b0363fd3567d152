package portolan

import (
	"slices"
	"strconv"
	"strings"
)

// HostRanges are this host's port ranges as its kernel applies them: the
// one value the allocator, the query and the API share. ReadHostRanges
// fills it.
type HostRanges struct {
	// Ephemeral is where the kernel picks ports for outgoing connections
	// and bind(port 0).
	Ephemeral Range `json:"ephemeral"`
	// Reserved ports are skipped by automatic assignment; an explicit
	// bind still works. Sorted; [] (never null in JSON) when none.
	Reserved []Range `json:"reserved"`
	// UnprivilegedStart is the lowest port a process may bind without
	// privilege (CAP_NET_BIND_SERVICE on Linux); 0 where any user may bind
	// any port.
	UnprivilegedStart Port `json:"unprivileged_start"`
	// Defaults is true when the values are the documented defaults of the
	// operating system rather than read from it.
	Defaults bool `json:"defaults"`
	// Source says where the values come from: the files read, or the
	// documentation the defaults follow.
	Source string `json:"source"`
}

// InEphemeral reports whether p is in the ephemeral range.
func (h HostRanges) InEphemeral(p Port) bool { return h.Ephemeral.Contains(p) }

// InReserved reports whether p is reserved from automatic assignment.
func (h HostRanges) InReserved(p Port) bool {
	for _, r := range h.Reserved {
		if r.Contains(p) {
			return true
		}
	}
	return false
}

// NeedsPrivilege reports whether binding p needs privilege here.
func (h HostRanges) NeedsPrivilege(p Port) bool { return p < h.UnprivilegedStart }

// DefaultHostRanges returns the documented defaults of an operating system,
// named as runtime.GOOS names it, marked Defaults, with Source citing them:
//
//	linux                 32768-60999, binding below 1024 needs privilege
//	darwin, ios           49152-65535, any user binds any port (macOS 10.14+)
//	freebsd               10000-65535 (net.inet.ip.portrange.first/last)
//	netbsd                49152-65535 (net.inet.ip.anonportmin/max)
//	openbsd               1024-49151 (net.inet.ip.portfirst/portlast)
//	windows               49152-65535, any user binds any port
//	solaris, illumos, aix 32768-65535
//
// Any other system gets RFC 6335's dynamic range 49152-65535, and Source
// says that it is not that system's own documented default.
func DefaultHostRanges(goos string) HostRanges {
	h := HostRanges{Ephemeral: Range{Lo: 49152, Hi: 65535}, Reserved: []Range{}, UnprivilegedStart: 1024, Defaults: true}
	switch goos {
	case "linux", "android":
		h.Ephemeral = Range{Lo: 32768, Hi: 60999}
		h.Source = "Linux defaults (Documentation/networking/ip-sysctl.rst): ip_local_port_range 32768 60999, ip_unprivileged_port_start 1024"
	case "darwin", "ios":
		h.UnprivilegedStart = 0
		h.Source = "macOS default: net.inet.ip.portrange.first 49152, last 65535; since macOS 10.14 any user may bind ports below 1024"
	case "freebsd":
		h.Ephemeral.Lo = 10000
		h.Source = "FreeBSD default: net.inet.ip.portrange.first 10000, last 65535, reservedhigh 1023"
	case "netbsd":
		h.Source = "NetBSD default: net.inet.ip.anonportmin 49152, anonportmax 65535"
	case "openbsd":
		h.Ephemeral = Range{Lo: 1024, Hi: 49151}
		h.Source = "OpenBSD default: net.inet.ip.portfirst 1024, portlast 49151 (49152-65535 only for IP_PORTRANGE_HIGH sockets)"
	case "windows":
		h.UnprivilegedStart = 0
		h.Source = "Windows default dynamic range 49152-65535 (netsh int ipv4 show dynamicport tcp); excluded blocks (Hyper-V, WinNAT) not read"
	case "solaris", "illumos":
		h.Ephemeral = Range{Lo: 32768, Hi: 65535}
		h.Source = "Solaris/illumos default: tcp_smallest_anon_port 32768, tcp_largest_anon_port 65535, tcp_smallest_nonpriv_port 1024"
	case "aix":
		h.Ephemeral = Range{Lo: 32768, Hi: 65535}
		h.Source = "AIX default: tcp_ephemeral_low 32768, tcp_ephemeral_high 65535"
	default:
		h.Source = "RFC 6335 dynamic range 49152-65535; not read from " + goos + ", whose own default may differ"
	}
	return h
}

// ParsePortRange parses Linux's ip_local_port_range: two numbers separated
// by blanks ("32768\t60999\n").
func ParsePortRange(s string) (Range, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return Range{}, Errorf(EINVALID, "ip_local_port_range %q: want two port numbers", s)
	}
	lo, err := ParsePort(f[0])
	if err != nil {
		return Range{}, err
	}
	hi, err := ParsePort(f[1])
	if err != nil {
		return Range{}, err
	}
	if lo > hi {
		return Range{}, Errorf(EINVALID, "ip_local_port_range %q is backwards", s)
	}
	return Range{Lo: lo, Hi: hi}, nil
}

// ParseReservedPorts parses Linux's ip_local_reserved_ports: a
// comma-separated list of ports and LO-HI ranges, possibly empty
// ("8080,9000-9010\n"). The ranges come back sorted; none is [], not nil.
func ParseReservedPorts(s string) ([]Range, error) {
	out := []Range{}
	for _, f := range strings.Split(strings.TrimSpace(s), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := ParseRange(f)
		if err != nil {
			return nil, Errorf(EINVALID, "ip_local_reserved_ports entry %q: %s", f, ErrorMessage(err))
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Range) int { return int(a.Lo) - int(b.Lo) })
	return out, nil
}

// ParseUnprivilegedStart parses Linux's ip_unprivileged_port_start, which
// the kernel keeps within 0-65535.
func ParseUnprivilegedStart(s string) (Port, error) {
	v := strings.TrimSpace(s)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > MaxPort {
		return 0, Errorf(EINVALID, "ip_unprivileged_port_start %q: want a port 0-65535", v)
	}
	return Port(n), nil
}
