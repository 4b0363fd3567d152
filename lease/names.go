package lease

import (
	"context"
	"errors"
	"hash/fnv"
	"io/fs"
	"os"

	"github.com/portolan-dev/portolan"
)

var _ portolan.NameService = (*Allocator)(nil)

// namedStore is the allocator's store as a NamedPortStore, or EUNSUPPORTED.
func (a *Allocator) namedStore() (portolan.NamedPortStore, error) {
	ns, ok := a.store.(portolan.NamedPortStore)
	if !ok {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "this store keeps no named ports")
	}
	return ns, nil
}

// NamedPorts lists this host's named ports.
func (a *Allocator) NamedPorts(ctx context.Context) ([]portolan.NamedPort, error) {
	ns, err := a.namedStore()
	if err != nil {
		return nil, err
	}
	return ns.NamedPorts(ctx, a.opts.HostID)
}

// Forget drops key's port on this host.
func (a *Allocator) Forget(ctx context.Context, key portolan.NameKey) error {
	ns, err := a.namedStore()
	if err != nil {
		return err
	}
	if err := ns.DeleteNamedPort(ctx, a.opts.HostID, key); err != nil {
		return err
	}
	a.mu.Lock()
	a.assigned = nil // the port may be leased again: read the store anew
	a.mu.Unlock()
	return nil
}

// PortFor returns the port named req.Key on this host. The first call picks
// one with the lease policy (really free on both families, outside the
// ephemeral and reserved ranges, not a lease, an assignment or another
// name) and stores it; the store's unique constraints decide a race, and
// the loser returns the winner's port. Prefer is taken when it qualifies;
// otherwise, and without a preference, the search starts at a point of the
// pool derived from the key, so a forgotten name tends to come back to the
// same port.
func (a *Allocator) PortFor(ctx context.Context, req portolan.NameRequest) (portolan.NamedPort, bool, error) {
	if err := portolan.CheckName(req.Key.Name); err != nil {
		return portolan.NamedPort{}, false, err
	}
	ns, err := a.namedStore()
	if err != nil {
		return portolan.NamedPort{}, false, err
	}
	if np, ok, err := a.named(ctx, ns, req.Key); err != nil || ok {
		return np, false, err
	}
	lr := portolan.LeaseRequest{Count: 1, Proto: req.Proto, Pool: req.Pool, Assigned: req.Assigned, Unsafe: req.Unsafe}
	_, pool, err := checkRequest(lr)
	if err != nil {
		return portolan.NamedPort{}, false, err
	}
	unlock, err := a.begin(ctx, pool)
	if err != nil {
		return portolan.NamedPort{}, false, err
	}
	defer func() { unlock() }()
	cands := a.candidates(pool)
	size := cands.size()
	order := make([]portolan.Port, 0, 2)
	if req.Prefer != 0 {
		order = append(order, req.Prefer)
	}
	start := 0
	if size > 0 {
		h := fnv.New32a()
		h.Write([]byte(req.Key.Project + "\x00" + req.Key.Worktree + "\x00" + req.Key.Name))
		start = int(h.Sum32() % uint32(size))
		if req.Prefer != 0 {
			start = cands.after(req.Prefer)
		}
	}
	tried := 0
	next := func() (portolan.Port, bool) {
		if len(order) > 0 {
			p := order[0]
			order = order[1:]
			return p, true
		}
		if tried >= size {
			return 0, false
		}
		p := cands.at((start + tried) % size)
		tried++
		return p, true
	}
	for p, ok := next(); ok; p, ok = next() {
		check := lr
		if p == req.Prefer {
			// Asked for by number (3000 is hbci at IANA and every Node
			// dev server in practice): IANA's assignment does not stand
			// in the way; everything else still does.
			check.Assigned = true
		}
		if !a.free(ctx, p, check, req.Prefer == p) {
			continue
		}
		np := portolan.NamedPort{NameKey: req.Key, Port: p, Proto: req.Proto, HostID: a.opts.HostID}
		err := ns.InsertNamedPort(ctx, &np)
		if err == nil {
			a.mu.Lock()
			if a.assigned != nil {
				a.assigned.set(p)
			}
			a.mu.Unlock()
			return np, true, nil
		}
		if portolan.ErrorCode(err) != portolan.ECONFLICT {
			return portolan.NamedPort{}, false, err
		}
		// Another process named this key first (take its port), or took
		// this port for another name (go on).
		if won, ok, err := a.named(ctx, ns, req.Key); err != nil || ok {
			return won, false, err
		}
	}
	if n, _ := a.PruneNames(ctx); n > 0 {
		// Allocation pressure: names of deleted checkouts held ports; they
		// are free again, so look once more.
		unlock()
		unlock = func() {}
		return a.PortFor(ctx, req)
	}
	return portolan.NamedPort{}, false, portolan.Errorf(portolan.ECONFLICT, "no free port for %s in %s", req.Key.Name, poolName(req.Pool, pool))
}

// PruneNames forgets this host's names whose worktree directory no longer
// exists (a deleted checkout) and returns how many it forgot.
func (a *Allocator) PruneNames(ctx context.Context) (int, error) {
	ns, err := a.namedStore()
	if err != nil {
		return 0, err
	}
	all, err := ns.NamedPorts(ctx, a.opts.HostID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, np := range all {
		if _, err := os.Stat(np.Worktree); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := ns.DeleteNamedPort(ctx, a.opts.HostID, np.NameKey); err == nil {
			n++
		}
	}
	if n > 0 {
		a.mu.Lock()
		a.assigned = nil
		a.mu.Unlock()
	}
	return n, nil
}

// named returns key's port on this host, if it has one.
func (a *Allocator) named(ctx context.Context, ns portolan.NamedPortStore, key portolan.NameKey) (portolan.NamedPort, bool, error) {
	list, err := ns.NamedPorts(ctx, a.opts.HostID)
	if err != nil {
		return portolan.NamedPort{}, false, err
	}
	for _, np := range list {
		if np.NameKey == key {
			return np, true, nil
		}
	}
	return portolan.NamedPort{}, false, nil
}

// free reports whether p may become a named port: no lease, assignment or
// name holds it, it is outside the host's automatic ranges (a preferred
// port is checked against them too) and it passes the bind checks.
func (a *Allocator) free(ctx context.Context, p portolan.Port, req portolan.LeaseRequest, preferred bool) bool {
	if p == 0 {
		return false
	}
	if preferred {
		a.mu.Lock()
		eph, res := a.ephemeral, a.reserved
		a.mu.Unlock()
		if eph.Contains(p) {
			return false
		}
		for _, r := range res {
			if r.Contains(p) {
				return false
			}
		}
	}
	org := a.orgAssignments(ctx)
	a.mu.Lock()
	busy := a.taken.has(p) || a.pending.has(p) || org.has(p)
	a.mu.Unlock()
	return !busy && a.usable(ctx, p, req)
}
