package registry

import "github.com/portolan-dev/portolan"

// HostRanges is portolan.HostRanges, this host's port ranges. There is one
// type and one reader (portolan.ReadHostRanges) for the allocator, the
// query and the API; the name stays here for the registry's callers.
type HostRanges = portolan.HostRanges

// Host reads this host's ranges with portolan.ReadHostRanges.
func Host() (HostRanges, error) { return portolan.ReadHostRanges() }

// CountAssignedIn counts the User ports (1024-49151) inside r that IANA
// assigns on TCP or UDP: the ports a server may find taken by an outgoing
// connection because the kernel hands them out as ephemeral ports.
func (reg *Registry) CountAssignedIn(r portolan.Range) int {
	n := 0
	lo, hi := max(r.Lo, portolan.User.Range().Lo), min(r.Hi, portolan.User.Range().Hi)
	for p := int(lo); p <= int(hi); p++ {
		if reg.Assigned(portolan.Port(p), portolan.TCP) || reg.Assigned(portolan.Port(p), portolan.UDP) {
			n++
		}
	}
	return n
}
