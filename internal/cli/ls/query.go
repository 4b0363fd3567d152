package ls

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/sockets"
)

// QuerySockets is the "here" section of `portolan QUERY`: the listening
// sockets on ports r with their owners and what each owner is
// (owner.holder: its container, unit, supervisor, checkout), for TCP and
// UDP in both families.
// The kernel filters the ports, and the owner scan stops once those few
// sockets are found. SCTP and DCCP have no inventory yet: no sockets.
func QuerySockets(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
	f := sockets.Filter{Ports: r, WithOwners: true}
	switch proto {
	case portolan.TCP, portolan.UDP:
		f.Protos = []portolan.Proto{proto}
	case portolan.ProtoAny:
	default:
		return nil, nil
	}
	if r.Lo == 0 && r.Hi == 0 {
		return nil, nil // port 0 is never bound
	}
	if r.Lo == 0 {
		f.Ports.Lo = 1
	}
	socks, err := sockets.List(ctx, f)
	cmdutil.Holders(ctx, socks) // the few holders of a port: cheap
	return socks, err
}
