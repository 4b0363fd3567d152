package lease

import (
	"context"
	"time"

	"github.com/portolan-dev/portolan"
)

// maxAttempts bounds the retries of a grant that lost a race in the store
// to another process. Each lost race moves the grant to a random point of
// the pool, so two allocators walking the pool in step part after one
// collision; running out of attempts means others keep taking the few
// ports left.
const maxAttempts = 16

// Grant leases req.Count distinct free ports, all or none, each committed
// to the store before Grant returns. ECONFLICT "pool exhausted" when the
// pool has too few free ports even after the leases of dead owners and
// expired TTLs are reclaimed; EFORBIDDEN when req.Peer may not name
// req.PID or its user holds Options.MaxPerUser live leases.
func (a *Allocator) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	n, pool, err := checkRequest(req)
	if err != nil {
		return nil, err
	}
	owner, err := a.owner(req)
	if err != nil {
		return nil, err
	}
	unlock, err := a.begin(ctx, pool)
	if err != nil {
		return nil, err
	}
	defer unlock()
	done, err := a.admit(ctx, req.Peer, n)
	if err != nil {
		return nil, err
	}
	defer done()
	ls, err := a.place(ctx, pool, n, req, owner)
	if err != nil {
		return nil, err
	}
	return a.finish(ctx, ls)
}

// checkRequest validates req and returns its count and pool.
func checkRequest(req portolan.LeaseRequest) (int, portolan.Range, error) {
	n := req.Count
	if n == 0 {
		n = 1
	}
	if n < 0 || n > MaxCount {
		return 0, portolan.Range{}, portolan.Errorf(portolan.EINVALID, "count %d is out of range: want 1-%d", req.Count, MaxCount)
	}
	switch req.Proto {
	case portolan.ProtoAny, portolan.TCP, portolan.UDP:
	default:
		return 0, portolan.Range{}, portolan.Errorf(portolan.EINVALID, "protocol %s cannot be leased: want tcp, udp or both", req.Proto)
	}
	if req.TTL < 0 {
		return 0, portolan.Range{}, portolan.Errorf(portolan.EINVALID, "ttl %s is negative: want a duration such as 30s or 0 for none", req.TTL)
	}
	if err := portolan.CheckText("label", req.Label, portolan.MaxLabel); err != nil {
		return 0, portolan.Range{}, err
	}
	pool, err := ParsePool(req.Pool)
	return n, pool, err
}

// owner identifies the process req names, and checks that req's peer may
// name it. A peer must name a process: a lease without an owner would
// outlive every process of the peer's.
func (a *Allocator) owner(req portolan.LeaseRequest) (Owner, error) {
	if req.PID == 0 {
		if req.Peer != nil {
			return Owner{}, portolan.Errorf(portolan.EINVALID, "a local peer must name the pid that owns the lease")
		}
		return Owner{}, nil
	}
	if req.Peer != nil {
		if err := a.opts.MayName(*req.Peer, req.PID); err != nil {
			return Owner{}, ownerErr(err, req.PID)
		}
	}
	o, err := a.opts.OwnerOf(req.PID)
	if err != nil {
		return Owner{}, ownerErr(err, req.PID)
	}
	return o, nil
}

func ownerErr(err error, pid int) error {
	if portolan.ErrorCode(err) == portolan.ENOTFOUND {
		return portolan.Errorf(portolan.EINVALID, "owner pid %d does not exist: want a running process, or 0 for none", pid)
	}
	return err
}

// begin takes the cross-process lock when there is one and makes sure what
// the allocator knows of the store is fresh enough to pick from. unlock
// ends it.
func (a *Allocator) begin(ctx context.Context, pool portolan.Range) (unlock func(), err error) {
	l := a.opts.Lock
	if l == nil {
		if !a.isLoaded() {
			if _, err := a.Reclaim(ctx); err != nil {
				return nil, err
			}
		}
		return func() {}, nil
	}
	if err := l.Lock(); err != nil {
		return nil, err
	}
	// Another process may have changed the store since we last looked.
	if _, err := a.Reclaim(ctx); err != nil {
		l.Unlock()
		return nil, err
	}
	if p, ok := l.Last(); ok {
		a.mu.Lock()
		a.last = p
		a.cursor[pool] = p
		a.mu.Unlock()
	}
	return func() { l.Unlock() }, nil
}

// admit holds n of the peer's user's allowance of live leases for the
// grant; done gives back what the grant did not turn into leases. Root,
// and requests without a peer (an admin's HTTP call, the CLI's own
// store), are not bounded.
func (a *Allocator) admit(ctx context.Context, peer *portolan.Peer, n int) (done func(), err error) {
	max := a.opts.MaxPerUser
	if peer == nil || peer.UID == 0 || max < 0 {
		return func() {}, nil
	}
	uid := peer.UID
	try := func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.users.n[uid]+a.inflight[uid]+n > max {
			return false
		}
		a.inflight[uid] += n
		return true
	}
	if !try() {
		// Some of the user's leases may have ended since the last sweep.
		if err := a.sweep(ctx); err != nil {
			return nil, err
		}
		if !try() {
			return nil, portolan.Errorf(portolan.EFORBIDDEN, "uid %d holds %d live leases, the most one user may hold is %d: end some first", uid, a.userLeases(uid), max)
		}
	}
	return func() {
		a.mu.Lock()
		if a.inflight[uid] -= n; a.inflight[uid] <= 0 {
			delete(a.inflight, uid)
		}
		a.mu.Unlock()
	}, nil
}

func (a *Allocator) userLeases(uid uint32) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users.n[uid]
}

// place picks n ports and commits them to the store, picking again when
// another process won one of them.
func (a *Allocator) place(ctx context.Context, pool portolan.Range, n int, req portolan.LeaseRequest, owner Owner) ([]*portolan.Lease, error) {
	swept := false
	for range maxAttempts {
		ports, err := a.pick(ctx, pool, n, req)
		if portolan.ErrorCode(err) == portolan.ECONFLICT && !swept {
			// The pool is full (pick's only conflict). Owners may have died
			// or TTLs run out since the last sweep: sweep once now and pick
			// again rather than refuse while dead leases fill the pool.
			swept = true
			if err := a.sweep(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		ls := a.newLeases(ports, req, owner)
		err = a.insert(ctx, ls, ports, req.Peer)
		switch portolan.ErrorCode(err) {
		case "":
			return ls, nil
		case portolan.ECONFLICT:
			if err := a.collided(ctx, pool); err != nil {
				return nil, err
			}
			continue
		}
		return nil, err
	}
	return nil, portolan.Errorf(portolan.ECONFLICT, "no lease after %d attempts: other clients kept taking the same ports", maxAttempts)
}

func (a *Allocator) newLeases(ports []portolan.Port, req portolan.LeaseRequest, owner Owner) []*portolan.Lease {
	now := a.opts.Now().UTC()
	ls := make([]*portolan.Lease, len(ports))
	for i, p := range ports {
		ls[i] = &portolan.Lease{Port: p, Proto: req.Proto, PID: owner.PID, PIDStart: owner.Start,
			Label: req.Label, Host: a.host, HostID: a.opts.HostID, CreatedBy: createdBy(req.Peer)}
		if req.TTL > 0 {
			ls[i].Expires = now.Add(req.TTL)
		}
	}
	return ls
}

// insert commits ls to the store and records the outcome: the ports stop
// being pending, and on success are taken (and counted for the peer's user).
func (a *Allocator) insert(ctx context.Context, ls []*portolan.Lease, ports []portolan.Port, peer *portolan.Peer) error {
	err := a.store.InsertLeases(ctx, ls)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ports {
		a.pending.clear(p)
		if err != nil {
			continue
		}
		a.taken.set(p)
		if peer != nil {
			a.users.add(peer.UID, p)
		}
		if a.snapping {
			a.granted = append(a.granted, p)
		}
	}
	if err == nil {
		a.last = ports[len(ports)-1]
	}
	return err
}

// collided handles a grant that lost a port to another process: learn
// what the store holds, and continue from a random point, so that two
// allocators walking the pool in step (a daemon and the CLI, two servers
// sharing a database) part instead of colliding again.
func (a *Allocator) collided(ctx context.Context, pool portolan.Range) error {
	if _, err := a.Reclaim(ctx); err != nil {
		return err
	}
	a.mu.Lock()
	delete(a.cursor, pool)
	a.mu.Unlock()
	return nil
}

// finish completes a committed grant: kernel reservations and the cursor
// for the next process.
func (a *Allocator) finish(ctx context.Context, ls []*portolan.Lease) ([]portolan.Lease, error) {
	ports := make([]portolan.Port, len(ls))
	for i, l := range ls {
		ports[i] = l.Port
	}
	if err := a.reserve(ctx, ports); err != nil {
		for _, p := range ports {
			a.Release(ctx, p)
		}
		return nil, err
	}
	if l := a.opts.Lock; l != nil {
		l.SetLast(ports[len(ports)-1])
	}
	out := make([]portolan.Lease, len(ls))
	for i, l := range ls {
		out[i] = *l
	}
	return out, nil
}

func (a *Allocator) isLoaded() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.loaded
}

// sweep reclaims for a grant that found its pool full. Concurrent grants
// that all found it full take turns, and one whose turn comes after a sweep
// that began after it asked takes that sweep as its own: only the first
// reads the store. A pool that stays full of live leases would otherwise
// cost every grant a full read of the store, so sweeps take at most a fifth
// of the time.
func (a *Allocator) sweep(ctx context.Context) error {
	asked := a.opts.Now()
	a.sweepMu.Lock()
	defer a.sweepMu.Unlock()
	if a.sweptAt.After(asked) || a.opts.Now().Sub(a.sweptAt) < 4*a.sweepTook {
		return nil
	}
	began := a.opts.Now()
	if _, err := a.Reclaim(ctx); err != nil {
		return err
	}
	a.sweptAt, a.sweepTook = began, a.opts.Now().Sub(began)
	return nil
}

func poolName(spec string, r portolan.Range) string {
	if spec == "" {
		spec = PoolUser
	}
	if spec == r.String() {
		return "pool " + spec
	}
	return "pool " + spec + " (" + r.String() + ")"
}

// usable runs the expensive checks on one candidate.
func (a *Allocator) usable(ctx context.Context, p portolan.Port, req portolan.LeaseRequest) bool {
	if !req.Assigned && a.opts.Assigned != nil && a.opts.Assigned(p, req.Proto) {
		return false
	}
	if !req.Unsafe && portolan.IsTrap(p) {
		// It binds, but browsers refuse it or an OS service holds it on
		// developer machines: a port handed out should just work.
		return false
	}
	if !a.opts.Bindable(p, req.Proto) {
		return false
	}
	if a.opts.Held != nil {
		held, err := a.opts.Held(ctx, p, req.Proto)
		if err != nil || held {
			return false
		}
	}
	return true
}

// candidates returns pool minus the host's ephemeral range and reserved
// ports, reading the host at most once a second.
func (a *Allocator) candidates(pool portolan.Range) candidates {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now := a.opts.Now(); a.hostAt.IsZero() || now.Sub(a.hostAt) > time.Second {
		a.ephemeral, a.reserved = a.opts.Host()
		a.hostAt = now
	}
	return newCandidates(pool, a.ephemeral, a.reserved)
}

// orgAssignments returns the ports the organisation's assignments and this
// host's named ports hold, when the store keeps them, read at most every
// two seconds: no lease is granted on them.
func (a *Allocator) orgAssignments(ctx context.Context) *bitset {
	as, ok := a.store.(portolan.AssignmentStore)
	ns, named := a.store.(portolan.NamedPortStore)
	a.mu.Lock()
	cur, fresh := a.assigned, a.opts.Now().Sub(a.assignAt) < 2*time.Second
	a.mu.Unlock()
	if !ok || fresh && cur != nil {
		if cur == nil {
			return &bitset{}
		}
		return cur
	}
	list, err := as.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil {
		if cur == nil {
			return &bitset{}
		}
		return cur
	}
	b := &bitset{}
	for _, x := range list {
		b.set(x.Port)
	}
	if named {
		nps, err := ns.NamedPorts(ctx, a.opts.HostID)
		if err != nil {
			if cur == nil {
				return &bitset{}
			}
			return cur
		}
		for _, np := range nps {
			b.set(np.Port)
		}
	}
	a.mu.Lock()
	a.assigned, a.assignAt = b, a.opts.Now()
	a.mu.Unlock()
	return b
}
