package probe

import (
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Resolver maps a service name (ssh, https, http-alt) to its TCP ports; the
// CLI passes one backed by the IANA registry. probe never imports it.
type Resolver func(name string) ([]portolan.Port, error)

// PortSet is a set of ports 0-65535 as a bitmap: 8 KiB, no allocation per
// port, and iteration in ascending order for free.
type PortSet [1024]uint64

// Add puts p in the set.
func (s *PortSet) Add(p portolan.Port) { s[p>>6] |= 1 << (p & 63) }

// AddRange puts every port of r in the set.
func (s *PortSet) AddRange(r portolan.Range) {
	for p := int(r.Lo); p <= int(r.Hi); p++ {
		s.Add(portolan.Port(p))
	}
}

// Has reports whether p is in the set.
func (s *PortSet) Has(p portolan.Port) bool { return s[p>>6]&(1<<(p&63)) != 0 }

// Ports returns the members in ascending order.
func (s *PortSet) Ports() []portolan.Port {
	var out []portolan.Port
	for i, w := range s {
		for w != 0 {
			b := 0
			for w&(1<<b) == 0 {
				b++
			}
			out = append(out, portolan.Port(i<<6|b))
			w &^= 1 << b
		}
	}
	return out
}

// ParsePorts parses a port spec: comma-separated ports (22), ranges
// (8000-8100, open-ended 1024- and -1023), "-" for 1-65535, and service
// names resolved through resolve (ssh,https). An item may end in /tcp.
// The result is ascending and without duplicates. A bad item is named in a
// one-line EINVALID error.
func ParsePorts(spec string, resolve Resolver) ([]portolan.Port, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, portolan.Errorf(portolan.EINVALID, "empty port spec: want e.g. 22,80,443 or 8000-8100 or ssh,https or - for all")
	}
	var set PortSet
	for item := range strings.SplitSeq(spec, ",") {
		if err := addItem(&set, strings.TrimSpace(item), spec, resolve); err != nil {
			return nil, err
		}
	}
	return set.Ports(), nil
}

func addItem(set *PortSet, item, spec string, resolve Resolver) error {
	if item == "" {
		return portolan.Errorf(portolan.EINVALID, "port spec %q has an empty item: want comma-separated ports, ranges or names", spec)
	}
	if base, proto, ok := strings.Cut(item, "/"); ok {
		if !strings.EqualFold(proto, "tcp") {
			return portolan.Errorf(portolan.EINVALID, "%q in port spec %q: only tcp ports are probed (connect scan), want %q or %q", item, spec, base, base+"/tcp")
		}
		item = base
	}
	if item == "-" {
		set.AddRange(portolan.Range{Lo: 1, Hi: 65535})
		return nil
	}
	if numeric(item) {
		lo, hi := item, item
		if l, h, ok := strings.Cut(item, "-"); ok {
			lo, hi = l, h
			if lo == "" {
				lo = "1"
			}
			if hi == "" {
				hi = "65535"
			}
		}
		r, err := portolan.ParseRange(lo + "-" + hi)
		if err != nil || strings.Count(item, "-") > 1 {
			return portolan.Errorf(portolan.EINVALID, "%q in port spec %q is not a port or range: want 1-65535 or LO-HI", item, spec)
		}
		if r.Lo == 0 {
			return portolan.Errorf(portolan.EINVALID, "%q in port spec %q: port 0 cannot be connected to, want 1-65535", item, spec)
		}
		set.AddRange(r)
		return nil
	}
	if !nameLike(item) {
		return portolan.Errorf(portolan.EINVALID, "%q in port spec %q is not a port, range or service name: want e.g. 22, 8000-8100 or ssh", item, spec)
	}
	if resolve == nil {
		return portolan.Errorf(portolan.EINVALID, "%q in port spec %q: service names need the registry, want a number", item, spec)
	}
	ports, err := resolve(item)
	if err != nil || len(ports) == 0 {
		return portolan.Errorf(portolan.EINVALID, "%q in port spec %q is not a known TCP service name: want a number or a name like ssh", item, spec)
	}
	for _, p := range ports {
		if p != 0 {
			set.Add(p)
		}
	}
	return nil
}

// numeric reports whether s holds only digits and dashes, so "3com-tsmux"
// (a real IANA name) is a name and "80-90" a range.
func numeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '-' {
			return false
		}
	}
	return true
}

// nameLike accepts the characters IANA service names use (RFC 6335 plus
// the registry's historical exceptions such as whois++ and sql*net).
func nameLike(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == '+' || c == '*':
		default:
			return false
		}
	}
	return true
}

// FormatPorts renders ports as a compact spec (1-1024,8080), the form nmap
// writes in its XML scaninfo.
func FormatPorts(ports []portolan.Port) string {
	sorted := slices.Clone(ports)
	slices.Sort(sorted)
	var b strings.Builder
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] <= sorted[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(portolan.Range{Lo: sorted[i], Hi: sorted[j]}.String())
		i = j + 1
	}
	return b.String()
}
