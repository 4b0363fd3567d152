package serve

import (
	"context"
	"net"

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
func newLeases(store portolan.Store, reg *registry.Registry) (
	svc portolan.LeaseService, reclaim func(context.Context) (int, error), done func()) {
	a := lease.New(store, lease.Options{Assigned: reg.Assigned, Held: sockets.InUse})
	return a, a.Reclaim, func() { a.Close() }
}

func listenPortserver(addr string) (net.Listener, error) { return lease.ListenUnix(addr) }

func servePortserver(ctx context.Context, ln net.Listener, svc portolan.LeaseService) error {
	return lease.ServePortserver(ctx, ln, svc)
}
