// Package probeutil joins probe (which imports no other adapter) to the
// registry and the socket inventory, for the verbs that probe ports:
// scan, check and wait.
package probeutil

import (
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
)

// Resolver resolves service names in port specs through the registry:
// every TCP (or protocol-less) record of the name with a port, ranges
// included (x11 is 6000-6063).
func Resolver(regFn func() (*registry.Registry, error)) probe.Resolver {
	return func(name string) ([]portolan.Port, error) {
		reg, err := regFn()
		if err != nil {
			return nil, err
		}
		var set probe.PortSet
		found := false
		for _, s := range reg.ByName(name) {
			if !s.HasPort || !s.Proto.Matches(portolan.TCP) || s.Status == portolan.Unassigned || s.Status == portolan.Reserved {
				continue
			}
			set.AddRange(s.Ports)
			found = true
		}
		if !found {
			return nil, portolan.Errorf(portolan.ENOTFOUND, "no TCP service named %q", name)
		}
		return set.Ports(), nil
	}
}

// Listening reports from the socket table whether a TCP socket listens on
// ap: on that address, or on the wildcard of its family, or on the IPv6
// wildcard (which takes IPv4 too unless IPV6_V6ONLY is set).
func Listening(ctx context.Context, ap netip.AddrPort) (bool, error) {
	socks, err := sockets.List(ctx, sockets.Filter{Protos: []portolan.Proto{portolan.TCP}, Port: portolan.Port(ap.Port())})
	if err != nil {
		return false, err
	}
	for _, s := range socks {
		if s.State == "LISTEN" && covers(s.Local.Addr(), ap.Addr()) {
			return true, nil
		}
	}
	return false, nil
}

func covers(listen, target netip.Addr) bool {
	listen, target = listen.Unmap(), target.Unmap()
	switch {
	case listen == target.WithZone(""):
		return true
	case listen.IsUnspecified() && listen.Is4() == target.Is4():
		return true
	case listen == netip.IPv6Unspecified():
		return true
	}
	return false
}

// LocalAddrs caches which addresses are this host's for one command run.
func LocalAddrs() func(netip.Addr) bool {
	var mu sync.Mutex
	seen := map[netip.Addr]bool{}
	return func(a netip.Addr) bool {
		mu.Lock()
		defer mu.Unlock()
		v, ok := seen[a]
		if !ok {
			v = probe.LocalAddr(a)
			seen[a] = v
		}
		return v
	}
}

// Annotate fills in the IANA service name of every port, the common uses
// of open ports, and the owning process of open ports on this host's
// addresses.
func Annotate(ctx context.Context, res []probe.Result, reg *registry.Registry, withOwners bool) {
	isLocal := LocalAddrs()
	owners := map[portolan.Port][]portolan.Socket{}
	for i := range res {
		r := &res[i]
		if reg != nil {
			// Every port gets its name, whatever its state, as nmap names
			// every port it lists (ndiff compares them).
			if s, ok := reg.Primary(r.Port, portolan.TCP); ok {
				r.Service = s.Name
			}
		}
		if r.State != probe.Open {
			continue
		}
		if reg != nil {
			for _, cu := range reg.CommonUses(r.Port) {
				if cu.Proto.Matches(portolan.TCP) && !slices.Contains(r.CommonUses, cu.Name) {
					r.CommonUses = append(r.CommonUses, cu.Name)
				}
			}
		}
		if !withOwners || !isLocal(r.Addr.Addr()) {
			continue
		}
		socks, ok := owners[r.Port]
		if !ok {
			socks, _ = sockets.Owners(ctx, r.Port, portolan.TCP)
			owners[r.Port] = socks
		}
		for _, s := range socks {
			if s.State == "LISTEN" && s.Owner != nil && covers(s.Local.Addr(), r.Addr.Addr()) {
				r.Process = s.Owner
				break
			}
		}
	}
}
