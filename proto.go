package portolan

import "strings"

// Proto is a transport protocol that IANA assigns ports for. The zero value,
// ProtoAny, stands for "every protocol" in queries and for the records IANA
// lists with no protocol (name-only service names).
type Proto uint8

// The protocols of the port registry.
const (
	ProtoAny Proto = iota
	TCP
	UDP
	SCTP
	DCCP
)

// Protos lists the concrete protocols in registry order.
var Protos = [...]Proto{TCP, UDP, SCTP, DCCP}

var protoNames = [...]string{"", "tcp", "udp", "sctp", "dccp"}

// ParseProto parses "tcp", "udp", "sctp" or "dccp", in any case. The empty
// string parses as ProtoAny.
func ParseProto(s string) (Proto, error) {
	for i, n := range protoNames {
		if strings.EqualFold(s, n) {
			return Proto(i), nil
		}
	}
	return 0, Errorf(EINVALID, "protocol %q is not one of tcp, udp, sctp, dccp", s)
}

// MustParseProto is ParseProto that panics on bad input.
func MustParseProto(s string) Proto {
	p, err := ParseProto(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the lower-case name, or "" for ProtoAny.
func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return "proto(" + Port(p).String() + ")"
}

// Label is how people read p in a table: its name, or "both" for ProtoAny
// (a lease, named port or record on TCP and UDP): the word of the --proto
// flags, of a lease's JSON and of the page.
func (p Proto) Label() string {
	if p == ProtoAny {
		return "both"
	}
	return p.String()
}

// Matches reports whether p selects q: ProtoAny selects every protocol.
func (p Proto) Matches(q Proto) bool { return p == ProtoAny || q == ProtoAny || p == q }

// MarshalText implements encoding.TextMarshaler.
func (p Proto) MarshalText() ([]byte, error) {
	if int(p) >= len(protoNames) {
		return nil, Errorf(EINVALID, "protocol %d is not one of tcp, udp, sctp, dccp", p)
	}
	return []byte(protoNames[p]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Proto) UnmarshalText(b []byte) error {
	v, err := ParseProto(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
