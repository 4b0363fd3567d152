package portolan

// Class is a port's RFC 6335 class (section 6).
type Class uint8

// The three RFC 6335 classes.
const (
	System  Class = iota // 0-1023, assigned by IETF Review or IESG Approval; binding needs privilege
	User                 // 1024-49151, assigned by IANA
	Dynamic              // 49152-65535, never assigned; for ephemeral and private use
)

// Classes lists the classes in port order.
var Classes = [...]Class{System, User, Dynamic}

var classInfo = [...]struct {
	name  string
	names [3]string
	r     Range
}{
	System:  {"system", [3]string{"well-known", "system", ""}, Range{0, 1023}},
	User:    {"user", [3]string{"registered", "user", ""}, Range{1024, 49151}},
	Dynamic: {"dynamic", [3]string{"dynamic", "private", "ephemeral"}, Range{49152, 65535}},
}

// ClassOf returns the RFC 6335 class of p.
func ClassOf(p Port) Class {
	switch {
	case p <= 1023:
		return System
	case p <= 49151:
		return User
	}
	return Dynamic
}

// ParseClass accepts any of a class's common names: "system" or
// "well-known", "user" or "registered", "dynamic", "private" or "ephemeral".
func ParseClass(s string) (Class, error) {
	for c, ci := range classInfo {
		if s == ci.name {
			return Class(c), nil
		}
		for _, n := range ci.names {
			if n != "" && s == n {
				return Class(c), nil
			}
		}
	}
	return 0, Errorf(EINVALID, "class %q is not one of system, user, dynamic", s)
}

// String returns the RFC 6335 name: "system", "user" or "dynamic".
func (c Class) String() string {
	if int(c) < len(classInfo) {
		return classInfo[c].name
	}
	return "class?"
}

// Names returns the names the world uses for c, e.g. well-known and system.
func (c Class) Names() []string {
	ns := classInfo[c].names
	if ns[2] == "" {
		return ns[:2]
	}
	return ns[:]
}

// Title returns the names joined by slashes: "well-known/system".
func (c Class) Title() string {
	s := ""
	for i, n := range c.Names() {
		if i > 0 {
			s += "/"
		}
		s += n
	}
	return s
}

// Range returns the ports of c.
func (c Class) Range() Range { return classInfo[c].r }

// MarshalText implements encoding.TextMarshaler.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
