package portolan

// Facts says where the ports r fall in h.
func (h HostRanges) Facts(r Range) *HostFacts {
	f := &HostFacts{HostRanges: h, InEphemeral: h.Ephemeral.Hi != 0 && h.Ephemeral.Overlaps(r),
		NeedsPrivilege: r.Lo < h.UnprivilegedStart}
	if f.Reserved == nil {
		f.Reserved = []Range{}
	}
	for _, rr := range h.Reserved {
		f.InReserved = f.InReserved || rr.Overlaps(r)
	}
	return f
}

// HostFacts are this host's ranges and where a query's ports fall in them.
type HostFacts struct {
	HostRanges
	InEphemeral    bool `json:"in_ephemeral"`
	InReserved     bool `json:"in_reserved"`
	NeedsPrivilege bool `json:"needs_privilege"`
}

// ClassInfo is an RFC 6335 class with the names the world uses for it.
type ClassInfo struct {
	Class Class    `json:"class"`
	Names []string `json:"names"`
	Range Range    `json:"range"`
}

// Info returns c with its names and range. Names shares one array per
// class among all callers (a lookup per line of a batch would otherwise
// copy it): do not write to it.
func (c Class) Info() ClassInfo {
	ns := classInfo[c].names[:]
	if ns[2] == "" {
		ns = ns[:2:2]
	}
	return ClassInfo{c, ns, c.Range()}
}
