package portolan

// RangesReport is the document of `portolan ranges --json` and GET
// /v1/ranges: the classes, this host's ranges and where they meet.
type RangesReport struct {
	Classes []ClassInfo `json:"classes"`
	Host    HostRanges  `json:"host"`
	// Overlaps are the parts of this host's ephemeral range inside each
	// class: a User port there can fail to bind while a client holds it.
	Overlaps []Overlap `json:"overlaps"`
	// CommonEphemeral are the ephemeral ranges of other common systems.
	CommonEphemeral []EphemeralRange `json:"common_ephemeral"`
}

// Overlap is where the host's ephemeral range meets a class.
type Overlap struct {
	Class Class `json:"class"`
	Range Range `json:"range"`
	// AssignedUserPorts counts the ports of Range that IANA assigns on TCP
	// or UDP: a server on one of them can fail to bind while an outgoing
	// connection holds it.
	AssignedUserPorts int `json:"assigned_user_ports"`
}

// Ranges reports h; assigned says whether IANA assigns a port on a
// protocol (nil: assigned ports are not counted).
func Ranges(h HostRanges, assigned func(Port, Proto) bool) RangesReport {
	out := RangesReport{Host: h, Overlaps: []Overlap{}, CommonEphemeral: CommonEphemeral}
	if out.Host.Reserved == nil {
		out.Host.Reserved = []Range{}
	}
	for _, c := range Classes {
		out.Classes = append(out.Classes, c.Info())
		in, ok := h.Ephemeral.Intersect(c.Range())
		if !ok || h.Ephemeral.Hi == 0 {
			continue
		}
		ov := Overlap{Class: c, Range: in}
		if user, ok := in.Intersect(User.Range()); ok && assigned != nil {
			for p := int(user.Lo); p <= int(user.Hi); p++ {
				if assigned(Port(p), TCP) || assigned(Port(p), UDP) {
					ov.AssignedUserPorts++
				}
			}
		}
		out.Overlaps = append(out.Overlaps, ov)
	}
	return out
}
