package probe

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Target is a host the user named with the addresses it stands for.
type Target struct {
	Name  string       // as given: a host name, a literal or a CIDR block
	Addrs []netip.Addr // every address, v4 and v6, without duplicates
}

// Lookup resolves a host name to all its addresses.
type Lookup func(ctx context.Context, host string) ([]netip.Addr, error)

// SystemLookup asks the system resolver for every address of host, v4 and
// v6, so a name whose first answer is ::1 is also tried on 127.0.0.1.
func SystemLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// MaxHosts caps a CIDR block even with AllowLarge: a /16 of IPv4.
const MaxHosts = 1 << 16

// TargetOptions tune ParseTargets.
type TargetOptions struct {
	AllowLarge bool   // permit CIDR blocks of more than 256 hosts
	Lookup     Lookup // nil: SystemLookup
}

// ParseTarget parses one target: an IPv4 or IPv6 literal (brackets
// allowed), a CIDR block, or a host name resolved to every address.
func ParseTarget(ctx context.Context, s string, o TargetOptions) (Target, error) {
	t := Target{Name: s}
	if s == "" {
		return t, portolan.Errorf(portolan.EINVALID, "empty target: want a host name, an address or a CIDR block")
	}
	lit := s
	if open, close := strings.HasPrefix(s, "["), strings.HasSuffix(s, "]"); open || close {
		if !open || !close {
			return t, portolan.Errorf(portolan.EINVALID, "target %q has an unmatched bracket: want an IPv6 address as ::1 or [::1]", s)
		}
		lit = s[1 : len(s)-1]
		if a, err := netip.ParseAddr(lit); err != nil || !a.Is6() {
			return t, portolan.Errorf(portolan.EINVALID, "target %q: brackets hold an IPv6 address, e.g. [::1]", s)
		}
	}
	if a, err := netip.ParseAddr(lit); err == nil {
		t.Addrs = []netip.Addr{a.Unmap()}
		return t, nil
	}
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return t, portolan.Errorf(portolan.EINVALID, "target %q is not a CIDR block: want e.g. 10.0.0.0/24 or 2001:db8::/120", s)
		}
		pfx = pfx.Masked()
		hostBits := pfx.Addr().BitLen() - pfx.Bits()
		if hostBits > 16 {
			return t, portolan.Errorf(portolan.EINVALID, "target %q has more than %d hosts: want a block of /16 (IPv4) or /112 (IPv6) or smaller", s, MaxHosts)
		}
		n := 1 << hostBits
		if n > 256 && !o.AllowLarge {
			return t, portolan.Errorf(portolan.EINVALID, "target %q has %d hosts: pass --allow-large to scan more than 256", s, n)
		}
		t.Addrs = make([]netip.Addr, 0, n)
		for a := pfx.Addr(); len(t.Addrs) < n; a = a.Next() {
			t.Addrs = append(t.Addrs, a)
		}
		return t, nil
	}
	if !hostLike(s) {
		return t, portolan.Errorf(portolan.EINVALID, "target %q is not a host name, address or CIDR block: want e.g. example.com, 10.0.0.1, ::1 or 10.0.0.0/24", s)
	}
	lookup := o.Lookup
	if lookup == nil {
		lookup = SystemLookup
	}
	addrs, err := lookup(ctx, s)
	if err != nil || len(addrs) == 0 {
		return t, portolan.Errorf(portolan.ENOTFOUND, "host %q does not resolve to any address", s)
	}
	t.Addrs = dedupe(addrs)
	return t, nil
}

// ParseTargets parses every argument; the first bad one ends it.
func ParseTargets(ctx context.Context, args []string, o TargetOptions) ([]Target, error) {
	out := make([]Target, 0, len(args))
	for _, a := range args {
		t, err := ParseTarget(ctx, a, o)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func dedupe(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		dup := false
		for _, b := range out {
			dup = dup || a == b
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// hostLike accepts DNS names (letters, digits, '-', '_', '.') up to 253 bytes.
func hostLike(s string) bool {
	if len(s) > 253 || s == "." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// HostPort is one HOST:PORT argument of check and wait.
type HostPort struct {
	Arg   string // as given
	Host  string // brackets removed
	Ports []portolan.Port
}

// ParseHostPort parses HOST:PORTS where HOST is a name, an IPv4 literal or
// a bracketed IPv6 literal and PORTS is a port spec (80, 80,443, https).
func ParseHostPort(s string, resolve Resolver) (HostPort, error) {
	hp := HostPort{Arg: s}
	var host, spec string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return hp, portolan.Errorf(portolan.EINVALID, "%q is not HOST:PORT: want e.g. [::1]:8080", s)
		}
		host, spec = s[1:end], s[end+2:]
		if _, err := netip.ParseAddr(host); err != nil {
			return hp, portolan.Errorf(portolan.EINVALID, "%q: %q is not an IPv6 address: want e.g. [::1]:8080", s, host)
		}
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return hp, portolan.Errorf(portolan.EINVALID, "%q has no port: want HOST:PORT, e.g. localhost:8080", s)
		}
		host, spec = s[:i], s[i+1:]
		if strings.Contains(host, ":") {
			return hp, portolan.Errorf(portolan.EINVALID, "%q: an IPv6 address needs brackets: want e.g. [::1]:8080", s)
		}
	}
	if host == "" {
		return hp, portolan.Errorf(portolan.EINVALID, "%q has no host: want HOST:PORT, e.g. localhost:8080", s)
	}
	if _, err := netip.ParseAddr(host); err != nil && !hostLike(host) {
		return hp, portolan.Errorf(portolan.EINVALID, "%q: %q is not a host name or address: want HOST:PORT, e.g. localhost:8080", s, host)
	}
	ports, err := ParsePorts(spec, resolve)
	if err != nil {
		return hp, portolan.Errorf(portolan.EINVALID, "%q: %s", s, portolan.ErrorMessage(err))
	}
	hp.Host, hp.Ports = host, ports
	return hp, nil
}
