package portolan

import "strings"

// Query is what a user asks about: a port, a range or a service name,
// optionally with a protocol ("443", "53/udp", "6000-6010", "https/tcp").
type Query struct {
	Name  string // set for name queries; Ports is then unset
	Ports Range
	Proto Proto // ProtoAny when none was given
}

// IsName reports whether q asks for a service name.
func (q Query) IsName() bool { return q.Name != "" }

// ParseQuery parses a query. A leading digit makes it a port or range, so
// "70000" is an out-of-range port rather than a name.
func ParseQuery(s string) (Query, error) {
	if strings.TrimSpace(s) == "" {
		return Query{}, Errorf(EINVALID, "empty query: want a port (443), a range (6000-6010), a name (https), optionally with /tcp, /udp, /sctp or /dccp")
	}
	var q Query
	body, proto, hasProto := strings.Cut(s, "/")
	if hasProto {
		p, err := ParseProto(proto)
		if err != nil || p == ProtoAny {
			return Query{}, Errorf(EINVALID, "protocol %q in %q is not one of tcp, udp, sctp, dccp", proto, s)
		}
		q.Proto = p
	}
	if body == "" {
		return Query{}, Errorf(EINVALID, "query %q has no port or name before the slash", s)
	}
	// Digits and hyphens only is a port or a range ("-1" a negative port);
	// anything else is a name, and 64 IANA names start with a digit (9pfs,
	// 3com-tsmux).
	if strings.Trim(body, "0123456789-") == "" {
		if body[0] == '-' && strings.Count(body, "-") == 1 && len(body) > 1 {
			_, err := ParsePort(body)
			return Query{}, err
		}
		r, err := ParseRange(body)
		if err != nil {
			return Query{}, err
		}
		q.Ports = r
		return q, nil
	}
	if err := ValidName(body); err != nil {
		return Query{}, err
	}
	q.Name = body
	return q, nil
}

// ValidName checks that s can be a registry lookup key: 1-63 printable ASCII
// characters without spaces or slashes. (IANA's own names break RFC 6335's
// stricter rules, e.g. "whois++", so lookups accept what the registry holds.)
func ValidName(s string) error {
	if len(s) == 0 || len(s) > 63 {
		return Errorf(EINVALID, "service name %q must be 1-63 characters", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return Errorf(EINVALID, "service name %q has a character that is not printable ASCII (or is a space or slash)", s)
		}
	}
	return nil
}

// String returns the canonical form that ParseQuery reads back.
func (q Query) String() string {
	s := q.Name
	if s == "" {
		s = q.Ports.String()
	}
	if q.Proto != ProtoAny {
		s += "/" + q.Proto.String()
	}
	return s
}
