package lease

import (
	"context"

	"github.com/portolan-dev/portolan"
)

// The allocator's side of --reserve-kernel: which ports its KernelReserver
// added is recorded in the store (when it is a portolan.ReservationStore)
// before they are added, and forgotten after they are removed, so a crash
// leaves at most a record of a port that is not reserved, never a
// reservation nobody knows about.

// reserve reserves ports in the kernel for new leases.
func (a *Allocator) reserve(ctx context.Context, ports []portolan.Port) error {
	k := a.opts.Reserver
	if k == nil || len(ports) == 0 {
		return nil
	}
	missing, err := k.Missing(ports)
	if err != nil || len(missing) == 0 {
		return err
	}
	rs, recorded := a.store.(portolan.ReservationStore)
	if recorded {
		if err := rs.AddReservations(ctx, a.opts.HostID, missing); err != nil {
			return err
		}
	}
	added, err := k.Add(missing)
	if recorded && len(added) < len(missing) {
		// Someone else reserved some meanwhile: they are not ours.
		rs.DeleteReservations(ctx, a.opts.HostID, subtractPorts(missing, added))
	}
	return err
}

// unreserve removes the reservations of ended leases.
func (a *Allocator) unreserve(ctx context.Context, ports []portolan.Port) error {
	k := a.opts.Reserver
	if k == nil || len(ports) == 0 {
		return nil
	}
	removed, err := k.Remove(ports)
	if err != nil {
		return err
	}
	if rs, ok := a.store.(portolan.ReservationStore); ok && len(removed) > 0 {
		return rs.DeleteReservations(ctx, a.opts.HostID, removed)
	}
	return nil
}

// reconcile, once per allocator, matches the kernel to the store: the
// ports a crashed predecessor reserved for leases that have ended since
// are removed, and the live leases' ports are reserved again.
func (a *Allocator) reconcile(ctx context.Context, live []portolan.Port) error {
	k := a.opts.Reserver
	if k == nil {
		return nil
	}
	a.reserveMu.Lock()
	defer a.reserveMu.Unlock()
	if a.reconciled {
		return nil
	}
	if rs, ok := a.store.(portolan.ReservationStore); ok {
		recorded, err := rs.Reservations(ctx, a.opts.HostID)
		if err != nil {
			return err
		}
		if err := k.Adopt(recorded); err != nil {
			return err
		}
		stale := subtractPorts(recorded, live)
		if err := a.unreserve(ctx, stale); err != nil {
			return err
		}
		// Records of ports that were not reserved (a crash between the
		// record and the write) are dropped too.
		if err := rs.DeleteReservations(ctx, a.opts.HostID, stale); err != nil {
			return err
		}
	}
	if err := a.reserve(ctx, live); err != nil {
		return err
	}
	a.reconciled = true
	return nil
}

// subtractPorts returns the ports of a that are not in b.
func subtractPorts(a, b []portolan.Port) []portolan.Port {
	var drop bitset
	for _, p := range b {
		drop.set(p)
	}
	var out []portolan.Port
	for _, p := range a {
		if !drop.has(p) {
			out = append(out, p)
		}
	}
	return out
}
