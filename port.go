package portolan

import "strconv"

// Port is a transport port number. All 65,536 values are valid numbers; port
// 0 is reserved and, to bind(2), means "kernel, choose".
type Port uint16

// MaxPort is the highest port number.
const MaxPort = 65535

// ParsePort parses a decimal port number 0-65535. It accepts no sign, no
// spaces and no leading "0x"; the error names the input and the valid form.
func ParsePort(s string) (Port, error) {
	n, ok := parseUint(s)
	if !ok {
		if s == "" {
			return 0, Errorf(EINVALID, "empty port: want a number 0-65535")
		}
		if _, neg := parseUint(s[1:]); neg && s[0] == '-' {
			// -1 is a number, just not a port.
			return 0, Errorf(EINVALID, "port %s is out of range 0-65535", s)
		}
		return 0, Errorf(EINVALID, "port %q is not a number: want 0-65535", s)
	}
	if n > MaxPort {
		return 0, Errorf(EINVALID, "port %s is out of range 0-65535", s)
	}
	return Port(n), nil
}

// parseUint parses up to 10 decimal digits without allocating; longer input
// is reported as out of range by returning a value above MaxPort.
func parseUint(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= MaxPort {
			n = n*10 + uint64(c-'0')
		}
	}
	return n, true
}

// MustParsePort is ParsePort for constants in tests and tables; it panics on
// bad input.
func MustParsePort(s string) Port {
	p, err := ParsePort(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the decimal form.
func (p Port) String() string { return strconv.Itoa(int(p)) }

// Class returns the RFC 6335 class of p.
func (p Port) Class() Class { return ClassOf(p) }

// MarshalText implements encoding.TextMarshaler.
func (p Port) MarshalText() ([]byte, error) { return strconv.AppendUint(nil, uint64(p), 10), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Port) UnmarshalText(b []byte) error {
	v, err := ParsePort(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalJSON writes p as a JSON number: ports are numbers to every
// consumer of the API, even though Port is also a TextMarshaler.
func (p Port) MarshalJSON() ([]byte, error) { return strconv.AppendUint(nil, uint64(p), 10), nil }

// UnmarshalJSON accepts a JSON number or a string holding one.
func (p *Port) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	return p.UnmarshalText(b)
}
