package lease

import (
	"context"
	"time"

	"github.com/portolan-dev/portolan"
)

// maxAttempts bounds the retries of a grant that lost a race in the store
// to another process.
const maxAttempts = 8

// Grant leases req.Count distinct free ports, all or none, each committed
// to the store before Grant returns. ECONFLICT "pool exhausted" when the
// pool has too few free ports even after the leases of dead owners and
// expired TTLs are reclaimed.
func (a *Allocator) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	n := req.Count
	if n == 0 {
		n = 1
	}
	if n < 0 || n > MaxCount {
		return nil, portolan.Errorf(portolan.EINVALID, "count %d is out of range: want 1-%d", req.Count, MaxCount)
	}
	switch req.Proto {
	case portolan.ProtoAny, portolan.TCP, portolan.UDP:
	default:
		return nil, portolan.Errorf(portolan.EINVALID, "protocol %s cannot be leased: want tcp, udp or both", req.Proto)
	}
	if req.TTL < 0 {
		return nil, portolan.Errorf(portolan.EINVALID, "ttl %s is negative: want a duration such as 30s or 0 for none", req.TTL)
	}
	if err := portolan.CheckText("label", req.Label, portolan.MaxLabel); err != nil {
		return nil, err
	}
	pool, err := ParsePool(req.Pool)
	if err != nil {
		return nil, err
	}
	var owner Owner
	if req.PID != 0 {
		if owner, err = a.opts.OwnerOf(req.PID); err != nil {
			if portolan.ErrorCode(err) == portolan.ENOTFOUND {
				return nil, portolan.Errorf(portolan.EINVALID, "owner pid %d does not exist: want a running process, or 0 for none", req.PID)
			}
			return nil, err
		}
	}
	if l := a.opts.Lock; l != nil {
		if err := l.Lock(); err != nil {
			return nil, err
		}
		defer l.Unlock()
		// Another process may have changed the store since we last looked.
		if _, err := a.Reclaim(ctx); err != nil {
			return nil, err
		}
		if c, ok := l.(Cursor); ok {
			if p, ok := c.Last(); ok {
				a.mu.Lock()
				a.last = p
				a.cursor[pool] = p
				a.mu.Unlock()
			}
		}
	} else if !a.isLoaded() {
		if _, err := a.Reclaim(ctx); err != nil {
			return nil, err
		}
	}
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
		now := a.opts.Now().UTC()
		ls := make([]*portolan.Lease, n)
		for i, p := range ports {
			ls[i] = &portolan.Lease{Port: p, Proto: req.Proto, PID: owner.PID, PIDStart: owner.Start,
				Label: req.Label, Host: a.host}
			if req.TTL > 0 {
				ls[i].Expires = now.Add(req.TTL)
			}
		}
		err = a.store.InsertLeases(ctx, ls)
		a.mu.Lock()
		for _, p := range ports {
			a.pending.clear(p)
			if err == nil {
				a.taken.set(p)
				if a.snapping {
					a.granted = append(a.granted, p)
				}
			}
		}
		if err == nil {
			a.last = ports[len(ports)-1]
		}
		a.mu.Unlock()
		switch portolan.ErrorCode(err) {
		case "":
			return a.granted_(ctx, ls, ports)
		case portolan.ECONFLICT:
			// Another process leased one of them: learn what it holds, pick again.
			if _, err := a.Reclaim(ctx); err != nil {
				return nil, err
			}
			continue
		}
		return nil, err
	}
	return nil, portolan.Errorf(portolan.ECONFLICT, "no lease after %d attempts: other clients kept taking the same ports", maxAttempts)
}

// granted_ finishes a committed grant: kernel reservations and the cursor
// for the next process.
func (a *Allocator) granted_(ctx context.Context, ls []*portolan.Lease, ports []portolan.Port) ([]portolan.Lease, error) {
	if a.opts.Reserver != nil {
		if err := a.opts.Reserver.Add(ports); err != nil {
			for _, p := range ports {
				a.Release(ctx, p)
			}
			return nil, err
		}
	}
	if c, ok := a.opts.Lock.(Cursor); ok {
		c.SetLast(ports[len(ports)-1])
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

// pick chooses n candidates that pass every check and marks them pending.
// Cheap checks (taken, pending, assigned, the last port) run under the
// lock; binds and socket lookups run outside it, so concurrent grants
// overlap.
func (a *Allocator) pick(ctx context.Context, pool portolan.Range, n int, req portolan.LeaseRequest) ([]portolan.Port, error) {
	cands := a.candidates(pool)
	size := cands.size()
	orgAssigned := a.orgAssignments(ctx)
	var got []portolan.Port
	scanned := 0
	var skipped portolan.Port // the port granted last, passed over once
	for len(got) < n {
		var batch []portolan.Port
		a.mu.Lock()
		i, ok := 0, false
		if c, seen := a.cursor[pool]; seen {
			i, ok = cands.after(c), true
		}
		if !ok && size > 0 {
			i = a.rng.IntN(size)
		}
		for len(got)+len(batch) < n && scanned < size {
			p := cands.at(i)
			i = (i + 1) % size
			scanned++
			a.cursor[pool] = p
			if a.taken.has(p) || a.pending.has(p) || orgAssigned.has(p) {
				continue
			}
			if p == a.last && size > n {
				skipped = p
				continue
			}
			a.pending.set(p)
			batch = append(batch, p)
		}
		if len(batch) == 0 && skipped != 0 {
			// Only the port granted last is left: hand it out again
			// rather than call the pool exhausted.
			if p := skipped; !a.taken.has(p) && !a.pending.has(p) {
				a.pending.set(p)
				batch = append(batch, p)
			}
			skipped = 0
		}
		a.mu.Unlock()
		if len(batch) == 0 {
			break
		}
		for _, p := range batch {
			if a.usable(ctx, p, req) {
				got = append(got, p)
				continue
			}
			a.mu.Lock()
			a.pending.clear(p)
			a.mu.Unlock()
		}
	}
	if len(got) < n {
		a.mu.Lock()
		for _, p := range got {
			a.pending.clear(p)
		}
		a.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, portolan.Errorf(portolan.ECONFLICT, "pool exhausted: %d free port(s) wanted, %d found in %s (%d candidates outside the ephemeral range and reserved ports)",
			n, len(got), poolName(req.Pool, pool), size)
	}
	return got, nil
}

// sweep reclaims for a grant that found its pool full. Concurrent grants
// that all found it full take turns, and one whose turn comes after a sweep
// that began after it asked takes that sweep as its own: only the first
// reads the store. A pool that stays full of live leases would otherwise
// cost every grant a full read of the store, so sweeps take at most a fifth
// of the time.
func (a *Allocator) sweep(ctx context.Context) error {
	asked := time.Now()
	a.sweepMu.Lock()
	defer a.sweepMu.Unlock()
	if a.sweptAt.After(asked) || time.Since(a.sweptAt) < 4*a.sweepTook {
		return nil
	}
	began := time.Now()
	if _, err := a.Reclaim(ctx); err != nil {
		return err
	}
	a.sweptAt, a.sweepTook = began, time.Since(began)
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
	if now := time.Now(); now.Sub(a.hostAt) > time.Second {
		a.ephemeral, a.reserved = a.opts.Host()
		a.hostAt = now
	}
	return newCandidates(pool, a.ephemeral, a.reserved)
}

// orgAssignments returns the ports the organisation's assignments name,
// when the store keeps them, read at most every two seconds.
func (a *Allocator) orgAssignments(ctx context.Context) *bitset {
	as, ok := a.store.(portolan.AssignmentStore)
	a.mu.Lock()
	cur, fresh := a.assigned, time.Since(a.assignAt) < 2*time.Second
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
	a.mu.Lock()
	a.assigned, a.assignAt = b, time.Now()
	a.mu.Unlock()
	return b
}
