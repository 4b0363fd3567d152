package serve

import (
	"context"
	"net"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
)

// newLeases builds the lease allocator over store: IANA-assigned ports and
// ports any socket here holds are skipped, as are the organisation's
// assignments (the allocator reads them from the store). reclaim frees the
// leases of dead owners and expired TTLs; done releases what the allocator
// holds (kernel reservations) on shutdown.
// With reservedFile set (ip_local_reserved_ports, or a stand-in in
// tests), leased ports are reserved in the kernel while leased. maxPerUser
// is lease.Options.MaxPerUser.
func newLeases(store portolan.Store, reg *registry.Registry, reservedFile string, maxPerUser int) (
	svc portolan.LeaseService, reclaim func(context.Context) (int, error), done func(), err error) {
	// A daemon grants thousands of ports a second: one socket listing a
	// second answers them all, and the bind check still catches any socket
	// opened since the last listing.
	held := lease.CachedHeld(func(ctx context.Context) ([]portolan.Socket, error) {
		return sockets.List(ctx, sockets.Filter{All: true})
	}, time.Second)
	opts := lease.Options{Assigned: reg.Assigned, Held: held, MaxPerUser: maxPerUser}
	if reservedFile != "" {
		r, err := lease.NewKernelReserver(reservedFile)
		if err != nil {
			return nil, nil, nil, err
		}
		opts.Reserver = r
	}
	a := lease.New(store, opts)
	return a, a.Reclaim, func() { a.Close() }, nil
}

func listenPortserver(addr string) (net.Listener, error) { return lease.ListenUnix(addr) }

func servePortserver(ctx context.Context, ln net.Listener, svc portolan.LeaseService) error {
	return lease.ServePortserver(ctx, ln, svc)
}
