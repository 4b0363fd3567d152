// Package lease hands out ports that cannot collide. The Allocator grants
// leases over a portolan.LeaseStore: a candidate must bind on the wildcard
// of both families, lie outside the host's ephemeral range and reserved
// ports, not be IANA-assigned (unless asked), not be held by any socket and
// not be named by a live lease or assignment. The store's unique constraint
// on the port, not a lock in this process, is what makes two grants of one
// port impossible, so CLI processes, a daemon and several servers can share
// one store.
//
// Leases belong to a process (PID plus start time, so a reused PID does not
// inherit), end with a TTL, or by explicit release. Reclaim frees the
// leases of dead owners and expired TTLs.
package lease

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// MaxCount bounds the ports of one grant.
const MaxCount = 1000

// Options are the allocator's policy inputs. Every field is optional; the
// zero value checks binds and the host's ranges and nothing else. The
// registry and the socket inventory come in as functions so this package
// imports neither (only internal/cli wires adapters together).
type Options struct {
	// Host returns this host's ephemeral range and reserved ports
	// (default HostRanges). It is cached for a second.
	Host func() (ephemeral portolan.Range, reserved []portolan.Range)
	// Assigned reports whether IANA assigns p for proto (ProtoAny: for any
	// protocol). Such ports are skipped unless the request allows them.
	Assigned func(p portolan.Port, proto portolan.Proto) bool
	// Held reports whether any socket on this host has p as its local port.
	Held func(ctx context.Context, p portolan.Port, proto portolan.Proto) (bool, error)
	// Bindable is the bind check (default Bindable).
	Bindable func(p portolan.Port, proto portolan.Proto) bool
	// Alive reports whether a lease owner still runs (default Alive).
	Alive func(Owner) bool
	// OwnerOf identifies a requesting PID (default OwnerOf).
	OwnerOf func(pid int) (Owner, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Lock, when set, is held around each grant's pick and insert so that
	// several processes sharing one store (the daemon-less CLI) pick in
	// turn instead of colliding and retrying. A FileLock also carries the
	// last port handed out from one process to the next.
	Lock Locker
	// Reserver, when set, keeps leased ports reserved in the kernel
	// (KernelReserver); Close releases its reservations.
	Reserver Reserver
	// ReclaimEvery is Run's period (default 5s).
	ReclaimEvery time.Duration
	// Rand picks the random starting point (default: a random source).
	Rand *rand.Rand
}

// Locker serialises grants across processes.
type Locker interface {
	Lock() error
	Unlock() error
}

// Cursor is implemented by Lockers that persist the last port handed out,
// so consecutive processes continue where the previous one stopped.
type Cursor interface {
	Last() (portolan.Port, bool)
	SetLast(portolan.Port)
}

// Reserver reserves leased ports outside the allocator, in the kernel.
type Reserver interface {
	Add(ports []portolan.Port) error
	Remove(ports []portolan.Port) error
	Close() error
}

// Allocator grants, releases and reclaims leases. It implements
// portolan.LeaseService and is safe for concurrent use.
type Allocator struct {
	store portolan.LeaseStore
	opts  Options
	host  string

	mu       sync.Mutex
	loaded   bool
	taken    *bitset // leased, as far as this process knows
	pending  *bitset // picked by a grant in flight
	granted  []portolan.Port
	snapping bool // a reload is listing the store: record grants meanwhile
	cursor   map[portolan.Range]portolan.Port
	last     portolan.Port
	rng      *rand.Rand

	hostAt    time.Time
	ephemeral portolan.Range
	reserved  []portolan.Range

	assignAt time.Time
	assigned *bitset // ports the organisation's assignments name

	sweepMu   sync.Mutex    // a full pool's sweeps, one at a time
	sweptAt   time.Time     // when the last of them began
	sweepTook time.Duration // and how long it took
}

var _ portolan.LeaseService = (*Allocator)(nil)

// New returns an Allocator over store. When store also keeps assignments
// (a portolan.Store), the ports they name are never leased.
func New(store portolan.LeaseStore, opts Options) *Allocator {
	if opts.Host == nil {
		opts.Host = HostRanges
	}
	if opts.Bindable == nil {
		opts.Bindable = Bindable
	}
	if opts.Alive == nil {
		opts.Alive = Alive
	}
	if opts.OwnerOf == nil {
		opts.OwnerOf = OwnerOf
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReclaimEvery <= 0 {
		opts.ReclaimEvery = 5 * time.Second
	}
	rng := opts.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	host, _ := os.Hostname()
	return &Allocator{store: store, opts: opts, host: host, taken: &bitset{}, pending: &bitset{},
		cursor: map[portolan.Range]portolan.Port{}, rng: rng}
}

// Leases lists the live leases: those whose owner still runs and whose TTL
// has not passed.
func (a *Allocator) Leases(ctx context.Context) ([]portolan.Lease, error) {
	ls, err := a.store.Leases(ctx)
	if err != nil {
		return nil, err
	}
	now := a.opts.Now()
	alive := map[Owner]bool{}
	out := ls[:0]
	for _, l := range ls {
		if !a.dead(l, now, alive) {
			out = append(out, l)
		}
	}
	return out, nil
}

// dead reports whether l should be reclaimed at now. alive memoises owner
// checks within one pass: many leases usually share a few owners.
func (a *Allocator) dead(l portolan.Lease, now time.Time, alive map[Owner]bool) bool {
	if l.Expired(now) {
		return true
	}
	if l.PID <= 0 {
		return false
	}
	o := Owner{PID: l.PID, Start: l.PIDStart}
	ok, seen := alive[o]
	if !seen {
		ok = a.opts.Alive(o)
		alive[o] = ok
	}
	return !ok
}

// Release ends the lease on port; ENOTFOUND when there is none.
func (a *Allocator) Release(ctx context.Context, port portolan.Port) error {
	if err := a.store.DeleteLease(ctx, port); err != nil {
		return err
	}
	a.mu.Lock()
	a.taken.clear(port)
	a.mu.Unlock()
	if a.opts.Reserver != nil {
		return a.opts.Reserver.Remove([]portolan.Port{port})
	}
	return nil
}

// Reclaim deletes the leases of dead owners and expired TTLs and returns
// how many it removed. It also refreshes what this allocator knows is
// taken, so leases other processes granted or released are seen.
func (a *Allocator) Reclaim(ctx context.Context) (int, error) {
	a.mu.Lock()
	a.snapping, a.granted = true, a.granted[:0]
	a.mu.Unlock()
	ls, err := a.store.Leases(ctx)
	if err != nil {
		a.mu.Lock()
		a.snapping = false
		a.mu.Unlock()
		return 0, err
	}
	now := a.opts.Now()
	var ids []int64
	var gone []portolan.Port
	taken := &bitset{}
	alive := map[Owner]bool{}
	for _, l := range ls {
		if a.dead(l, now, alive) {
			ids = append(ids, l.ID)
			gone = append(gone, l.Port)
		} else {
			taken.set(l.Port)
		}
	}
	n, err := a.store.DeleteLeases(ctx, ids)
	a.mu.Lock()
	for _, p := range a.granted {
		taken.set(p)
	}
	if err != nil {
		// The dead leases may still be stored: keep them taken.
		for _, p := range gone {
			taken.set(p)
		}
	}
	a.taken, a.loaded, a.snapping, a.granted = taken, true, false, a.granted[:0]
	a.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if a.opts.Reserver != nil && len(gone) > 0 {
		if err := a.opts.Reserver.Remove(gone); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Run reclaims every Options.ReclaimEvery until ctx ends.
func (a *Allocator) Run(ctx context.Context) {
	t := time.NewTicker(a.opts.ReclaimEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.Reclaim(ctx)
		}
	}
}

// Close releases what the allocator holds outside the store: the kernel
// reservations (restoring ip_local_reserved_ports as it was). Leases stay
// in the store; a restarted daemon keeps them.
func (a *Allocator) Close() error {
	if a.opts.Reserver != nil {
		return a.opts.Reserver.Close()
	}
	return nil
}

// bitset is one bit per port.
type bitset [65536 / 64]uint64

func (b *bitset) has(p portolan.Port) bool { return b[p/64]&(1<<(p%64)) != 0 }
func (b *bitset) set(p portolan.Port)      { b[p/64] |= 1 << (p % 64) }
func (b *bitset) clear(p portolan.Port)    { b[p/64] &^= 1 << (p % 64) }
