package portolan

import "net/netip"

// Reach is how far a listener's bind address reaches: only this host, the
// networks this host is on, or everywhere a route leads.
type Reach string

// The reaches, narrowest first.
const (
	ReachLoopback Reach = "loopback"
	ReachLAN      Reach = "lan" // private or link-local addresses only
	ReachAll      Reach = "all" // a public address, or a wildcard on a host that has one
)

// Exposure is one listener with its reach and the firewall's verdict on a
// new connection from another host ("allow", "deny", "docker-dnat",
// "unknown"; empty for loopback, which no other host reaches).
type Exposure struct {
	Socket   Socket `json:"socket"`
	Scope    string `json:"scope"` // of the bind address: Scope's words
	Reach    Reach  `json:"reach"`
	Firewall string `json:"firewall,omitempty"`
	Rule     string `json:"rule,omitempty"`
}

// Reachability is an Exposure without its socket: what a listener's
// document carries about its reach (Socket.Exposure).
type Reachability struct {
	Scope    string `json:"scope"`
	Reach    Reach  `json:"reach"`
	Firewall string `json:"firewall,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Exposed  bool   `json:"exposed"` // Exposure.Exposed: beyond loopback and not denied
}

// Reachability returns e without its socket.
func (e Exposure) Reachability() *Reachability {
	return &Reachability{Scope: e.Scope, Reach: e.Reach, Firewall: e.Firewall, Rule: e.Rule, Exposed: e.Exposed()}
}

// Exposed reports whether another host can reach the listener: beyond
// loopback and not denied by the firewall (an unknown firewall counts as
// exposed: the safe answer for a hardening check).
func (e Exposure) Exposed() bool { return e.Reach != ReachLoopback && e.Firewall != "deny" }

// ReachOf is the reach of a bind to a on a host with addrs: a wildcard
// reaches every address of its family (an IPv6 wildcard, usually
// dual-stack, every address), so its reach is the widest of them.
func ReachOf(a netip.Addr, addrs []netip.Addr) Reach {
	a = a.Unmap()
	if !a.IsUnspecified() {
		return reachOne(a)
	}
	r := ReachLoopback
	for _, h := range addrs {
		h = h.Unmap()
		if a.Is4() && !h.Is4() {
			continue
		}
		switch reachOne(h) {
		case ReachAll:
			return ReachAll
		case ReachLAN:
			r = ReachLAN
		}
	}
	return r
}

func reachOne(a netip.Addr) Reach {
	switch Scope(a) {
	case "loopback":
		return ReachLoopback
	case "link-local", "private":
		return ReachLAN
	}
	return ReachAll
}
