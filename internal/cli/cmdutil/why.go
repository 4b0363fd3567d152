package cmdutil

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/netfilter"
	"github.com/portolan-dev/portolan/netns"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/portolan-dev/portolan/why"
)

// WhySources are what `portolan why` and the MCP server's why tool read:
// the port's sockets, the firewall, Docker and Podman's published ports,
// the other network namespaces and this host's ranges. The store's
// assignments and leases are added by the caller that has them.
func WhySources(f *Factory) why.Sources {
	return why.Sources{
		Sockets:  PortSockets,
		Firewall: Firewall(),
		Containers: func(ctx context.Context, socks []portolan.Socket, p portolan.Port, proto portolan.Proto) []portolan.Published {
			return (&docker.Engines{}).Published(ctx, socks, p, proto)
		},
		Elsewhere: netns.Elsewhere,
		Host: func() (portolan.HostRanges, error) {
			h, err := f.HostRanges()
			return portolan.HostRanges(h), err
		},
	}
}

// PortSockets lists every socket on p (proto, or every protocol) in every
// state, with owners.
func PortSockets(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	fl := sockets.Filter{Port: p, All: true, WithOwners: true}
	if proto != portolan.ProtoAny {
		fl.Protos = []portolan.Proto{proto}
	}
	return sockets.List(ctx, fl)
}

// Firewall returns a check of this host's firewall that reads the ruleset
// at its first call only.
func Firewall() func(ctx context.Context, proto portolan.Proto, p portolan.Port, family int) (string, string) {
	var rs *netfilter.Ruleset
	return func(ctx context.Context, proto portolan.Proto, p portolan.Port, family int) (string, string) {
		if rs == nil {
			rs = netfilter.Read(ctx)
		}
		r := rs.Check(proto, p, family)
		return string(r.Verdict), r.Rule
	}
}
