package portolan

// Trap is a port that binds but that clients will not use: browsers refuse
// to connect to it, or a service of the operating system usually holds it
// on developer machines. The allocators skip traps unless asked, and a
// lookup says so. Every trap names its source, like the common uses.
type Trap struct {
	Ports  Range  `json:"ports"`
	Kind   string `json:"kind"` // "browser" or "os-service"
	Reason string `json:"reason"`
	Source string `json:"source"`
}

const browserSource = "WHATWG Fetch Standard, \"bad port\" list; Chromium net/base/port_util.cc kRestrictedPorts; Firefox netwerk/base/nsIOService.cpp gBadPortList"

// badPorts are the ports browsers refuse to fetch from (ERR_UNSAFE_PORT in
// Chromium, "This address is restricted" in Firefox): the Fetch Standard's
// list, which both follow.
var badPorts = []Port{1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
	101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427,
	465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
	995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
	6679, 6697, 10080}

// osServicePorts are held by a service of a common developer operating
// system out of the box.
var osServicePorts = []Trap{
	{Ports: SinglePort(5000), Kind: "os-service", Reason: "macOS AirPlay Receiver (ControlCenter) listens here from macOS 12 on",
		Source: "Apple: macOS Monterey and later, System Settings > AirDrop & Handoff > AirPlay Receiver (ports 5000 and 7000)"},
	{Ports: SinglePort(7000), Kind: "os-service", Reason: "macOS AirPlay Receiver (ControlCenter) listens here from macOS 12 on",
		Source: "Apple: macOS Monterey and later, System Settings > AirDrop & Handoff > AirPlay Receiver (ports 5000 and 7000)"},
}

// TrapsOf returns the traps on port p, none for most ports. It does not
// allocate for a port without one (the allocator asks for every candidate).
func TrapsOf(p Port) []Trap {
	var out []Trap
	if isBadPort(p) {
		out = append(out, Trap{Ports: SinglePort(p), Kind: "browser",
			Reason: "browsers refuse to connect to this port (ERR_UNSAFE_PORT in Chromium, a restricted address in Firefox)",
			Source: browserSource})
	}
	for _, t := range osServicePorts {
		if t.Ports.Contains(p) {
			out = append(out, t)
		}
	}
	return out
}

// IsTrap reports whether p has a trap.
func IsTrap(p Port) bool {
	if isBadPort(p) {
		return true
	}
	for _, t := range osServicePorts {
		if t.Ports.Contains(p) {
			return true
		}
	}
	return false
}

func isBadPort(p Port) bool {
	lo, hi := 0, len(badPorts)
	for lo < hi {
		m := (lo + hi) / 2
		if badPorts[m] < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(badPorts) && badPorts[lo] == p
}
