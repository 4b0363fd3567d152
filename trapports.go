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

// devServicePorts are held out of the box by a service of a common
// developer machine's operating system, in the pools ports are handed out
// from (the daemons of OSService below 1024 are outside them).
var devServicePorts = [...]Port{5000, 7000}

const airPlaySource = "Apple: macOS Monterey and later, System Settings > AirDrop & Handoff > AirPlay Receiver (ports 5000 and 7000)"

// TrapsOf returns the traps on port p, none for most ports. It does not
// allocate for a port without one (the allocator asks for every candidate).
func TrapsOf(p Port) []Trap {
	var out []Trap
	if BrowserRestricted(p) {
		out = append(out, Trap{Ports: SinglePort(p), Kind: "browser",
			Reason: "browsers refuse to connect to this port (ERR_UNSAFE_PORT in Chromium, a restricted address in Firefox)",
			Source: UnsafePortsSource})
	}
	if devService(p) {
		out = append(out, Trap{Ports: SinglePort(p), Kind: "os-service", Reason: OSService(p) + " listens here", Source: airPlaySource})
	}
	return out
}

// IsTrap reports whether p has a trap.
func IsTrap(p Port) bool { return BrowserRestricted(p) || devService(p) }

func devService(p Port) bool {
	for _, d := range devServicePorts {
		if d == p {
			return true
		}
	}
	return false
}
