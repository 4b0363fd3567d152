package portolan

import "strings"

// Range is an inclusive range of ports, Lo <= Hi. A single port is a range
// with Lo == Hi.
type Range struct {
	Lo, Hi Port
}

// SinglePort returns the range holding only p.
func SinglePort(p Port) Range { return Range{p, p} }

// ParseRange parses "N" or "LO-HI" with 0 <= LO <= HI <= 65535.
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		p, err := ParsePort(s)
		if err != nil {
			return Range{}, err
		}
		return Range{p, p}, nil
	}
	if lo == "" || hi == "" {
		return Range{}, Errorf(EINVALID, "range %q is missing a port: want LO-HI within 0-65535, e.g. 6000-6010", s)
	}
	l, err := ParsePort(lo)
	if err != nil {
		return Range{}, Errorf(EINVALID, "range %q: %s; want LO-HI within 0-65535", s, ErrorMessage(err))
	}
	h, err := ParsePort(hi)
	if err != nil {
		return Range{}, Errorf(EINVALID, "range %q: %s; want LO-HI within 0-65535", s, ErrorMessage(err))
	}
	if l > h {
		return Range{}, Errorf(EINVALID, "range %q is backwards: want LO-HI with LO <= HI", s)
	}
	return Range{l, h}, nil
}

// MustParseRange is ParseRange that panics on bad input.
func MustParseRange(s string) Range {
	r, err := ParseRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

// Contains reports whether p lies in r.
func (r Range) Contains(p Port) bool { return r.Lo <= p && p <= r.Hi }

// Len returns the number of ports in r.
func (r Range) Len() int { return int(r.Hi) - int(r.Lo) + 1 }

// IsSingle reports whether r holds exactly one port.
func (r Range) IsSingle() bool { return r.Lo == r.Hi }

// Overlaps reports whether r and o share a port.
func (r Range) Overlaps(o Range) bool { return r.Lo <= o.Hi && o.Lo <= r.Hi }

// Intersect returns the ports r and o share, and false when they share none.
func (r Range) Intersect(o Range) (Range, bool) {
	if !r.Overlaps(o) {
		return Range{}, false
	}
	return Range{max(r.Lo, o.Lo), min(r.Hi, o.Hi)}, true
}

// String returns "N" for a single port and "LO-HI" otherwise.
func (r Range) String() string {
	if r.Lo == r.Hi {
		return r.Lo.String()
	}
	return r.Lo.String() + "-" + r.Hi.String()
}

// MarshalText implements encoding.TextMarshaler.
func (r Range) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Range) UnmarshalText(b []byte) error {
	v, err := ParseRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
