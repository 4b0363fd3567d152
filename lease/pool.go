package lease

import (
	"slices"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Pool names. A pool is where candidates come from before the policy
// removes the ephemeral range, reserved ports and everything taken.
const (
	PoolUser    = "user"    // RFC 6335 User ports, 1024-49151
	PoolDynamic = "dynamic" // RFC 6335 Dynamic ports, 49152-65535
)

// ParsePool returns the range a pool spec names: "user" (the default for
// ""), "dynamic", or "LO-HI".
func ParsePool(spec string) (portolan.Range, error) {
	switch spec {
	case "", PoolUser:
		return portolan.Range{Lo: 1024, Hi: 49151}, nil
	case PoolDynamic:
		return portolan.Range{Lo: 49152, Hi: 65535}, nil
	}
	if !strings.Contains(spec, "-") {
		return portolan.Range{}, portolan.Errorf(portolan.EINVALID, "pool %q is not one of user, dynamic or LO-HI", spec)
	}
	r, err := portolan.ParseRange(spec)
	if err != nil {
		return portolan.Range{}, portolan.Errorf(portolan.EINVALID, "pool %q is not one of user, dynamic or LO-HI within 1-65535", spec)
	}
	if r.Lo == 0 {
		r.Lo = 1 // port 0 means "kernel, choose": never a lease
	}
	return r, nil
}

// subtract returns rs without the ports of cut, still sorted.
func subtract(rs []portolan.Range, cut portolan.Range) []portolan.Range {
	var out []portolan.Range
	for _, r := range rs {
		if !r.Overlaps(cut) {
			out = append(out, r)
			continue
		}
		if r.Lo < cut.Lo {
			out = append(out, portolan.Range{Lo: r.Lo, Hi: cut.Lo - 1})
		}
		if r.Hi > cut.Hi {
			out = append(out, portolan.Range{Lo: cut.Hi + 1, Hi: r.Hi})
		}
	}
	return out
}

// candidates is a pool after the host's ranges are taken out: sorted,
// disjoint ranges.
type candidates []portolan.Range

func newCandidates(pool portolan.Range, ephemeral portolan.Range, reserved []portolan.Range) candidates {
	rs := []portolan.Range{pool}
	if ephemeral.Hi > 0 {
		rs = subtract(rs, ephemeral)
	}
	for _, r := range reserved {
		rs = subtract(rs, r)
	}
	return rs
}

// size is the number of candidate ports.
func (c candidates) size() int {
	n := 0
	for _, r := range c {
		n += r.Len()
	}
	return n
}

// at returns the i-th candidate port, 0 <= i < size.
func (c candidates) at(i int) portolan.Port {
	for _, r := range c {
		if i < r.Len() {
			return r.Lo + portolan.Port(i)
		}
		i -= r.Len()
	}
	panic("lease: candidate index out of range")
}

// after returns the index of the first candidate above p, wrapping to 0.
func (c candidates) after(p portolan.Port) int {
	i := 0
	for _, r := range c {
		switch {
		case p < r.Lo:
			return i
		case p < r.Hi:
			return i + int(p-r.Lo) + 1
		}
		i += r.Len()
	}
	return 0
}

// HostRanges is this host's ephemeral range and reserved ports as
// portolan.ReadHostRanges reads them: the one reader the query and the API
// use too, with each system's documented defaults where it cannot read them.
func HostRanges() (ephemeral portolan.Range, reserved []portolan.Range) {
	h, _ := portolan.ReadHostRanges() // on error: the defaults
	return h.Ephemeral, h.Reserved
}

// parseReserved parses ip_local_reserved_ports (portolan.ParseReservedPorts):
// comma-separated ports and LO-HI ranges, possibly empty, sorted.
func parseReserved(s string) ([]portolan.Range, error) { return portolan.ParseReservedPorts(s) }

// formatReserved writes ports as ip_local_reserved_ports wants them:
// sorted, runs collapsed into LO-HI, comma-separated.
func formatReserved(ports []portolan.Port) string {
	ps := slices.Clone(ports)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(ps[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(ps[j])))
		}
		i = j + 1
	}
	return b.String()
}
