package lease

import (
	"context"

	"github.com/portolan-dev/portolan"
)

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
