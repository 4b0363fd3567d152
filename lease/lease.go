// Package lease hands out ports that cannot collide. The Allocator grants
// leases over a portolan.LeaseStore: a candidate must bind on the wildcard
// of both families, lie outside the host's ephemeral range and reserved
// ports, not be IANA-assigned (unless asked), not be held by any socket and
// not be named by a live lease or assignment. The store's unique constraint
// on host and port, not a lock in this process, is what makes two grants of
// one port impossible, so CLI processes, a daemon and several servers can
// share one store.
//
// Leases belong to a process (PID plus start time, so a reused PID does not
// inherit), end with a TTL, or by explicit release. Reclaim frees the
// leases of dead owners and expired TTLs, on this host only: each lease
// carries its host's HostID, and only that host can tell whether its owner
// still runs.
package lease

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// MaxCount bounds the ports of one grant.
const MaxCount = 1000

// DefaultMaxPerUser is how many live leases one local user (other than
// root) may hold through requests that carry a peer (the portserver).
const DefaultMaxPerUser = 256

// Options are the allocator's policy inputs. Every field is optional; the
// zero value checks binds and the host's ranges and nothing else. The
// registry and the socket inventory come in as functions so this package
// imports neither (only internal/cli wires adapters together).
type Options struct {
	// Host returns this host's ephemeral range and reserved ports
	// (default HostRanges). It is cached for a second.
	Host func() (ephemeral portolan.Range, reserved []portolan.Range)
	// HostID names this host in the store (default HostID()).
	HostID string
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
	// MayName decides whether a request's peer may name its PID (default
	// MayName).
	MayName func(peer portolan.Peer, pid int) error
	// MaxPerUser bounds the live leases of one local user other than root
	// asking as a peer (default DefaultMaxPerUser; negative: no bound).
	MaxPerUser int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Lock, when set, is held around each grant's pick and insert so that
	// several processes sharing one store (the daemon-less CLI) pick in
	// turn instead of colliding and retrying. It also carries the last
	// port handed out from one process to the next.
	Lock *FileLock
	// Reserver, when set, keeps leased ports reserved in the kernel; Close
	// releases its reservations. When the store is a
	// portolan.ReservationStore, what it added is recorded there, so the
	// first Reclaim after a crash removes what no live lease needs and
	// reserves the live leases' ports again.
	Reserver *KernelReserver
	// ReclaimEvery is Run's period (default 5s).
	ReclaimEvery time.Duration
	// Rand picks the random starting point (default: a random source).
	Rand *rand.Rand
}

// Allocator grants, releases and reclaims leases. It implements
// portolan.LeaseService and is safe for concurrent use.
type Allocator struct {
	store portolan.LeaseStore
	opts  Options
	host  string // host name, for people

	mu       sync.Mutex
	loaded   bool
	taken    *bitset // leased, as far as this process knows
	pending  *bitset // picked by a grant in flight
	granted  []portolan.Port
	snapping bool // a reload is listing the store: record grants meanwhile
	cursor   map[portolan.Range]portolan.Port
	last     portolan.Port
	rng      *rand.Rand
	users    quota
	inflight map[uint32]int // peers' leases being granted, by uid

	hostAt    time.Time
	ephemeral portolan.Range
	reserved  []portolan.Range

	assignAt time.Time
	assigned *bitset // ports the organisation's assignments name

	reserveMu  sync.Mutex
	reconciled bool // kernel reservations matched to the store since start

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
	if opts.HostID == "" {
		opts.HostID = HostID()
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
	if opts.MayName == nil {
		opts.MayName = MayName
	}
	if opts.MaxPerUser == 0 {
		opts.MaxPerUser = DefaultMaxPerUser
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
		cursor: map[portolan.Range]portolan.Port{}, rng: rng, users: newQuota(), inflight: map[uint32]int{}}
}

// HostID is the host this allocator grants for.
func (a *Allocator) HostID() string { return a.opts.HostID }

// ours reports whether l is a lease of this host: its HostID, or a lease
// stored without one (before leases carried it) whose host name is ours or
// empty.
func (a *Allocator) ours(l portolan.Lease) bool {
	return l.HostID == a.opts.HostID || legacy(l, a.host)
}

func legacy(l portolan.Lease, host string) bool {
	return l.HostID == "" && (l.Host == "" || l.Host == host)
}

// Leases lists the live leases of this host: those whose owner still runs
// and whose TTL has not passed. Other hosts' leases are theirs to judge.
func (a *Allocator) Leases(ctx context.Context) ([]portolan.Lease, error) {
	ls, err := a.store.Leases(ctx)
	if err != nil {
		return nil, err
	}
	now := a.opts.Now()
	alive := map[Owner]bool{}
	out := ls[:0]
	for _, l := range ls {
		if a.ours(l) && !a.dead(l, now, alive) {
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

// Release ends this host's lease on port; ENOTFOUND when there is none.
func (a *Allocator) Release(ctx context.Context, port portolan.Port) error {
	err := a.store.DeleteLease(ctx, a.opts.HostID, port)
	if portolan.ErrorCode(err) == portolan.ENOTFOUND {
		err = a.releaseLegacy(ctx, port)
	}
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.taken.clear(port)
	a.users.release(port)
	a.mu.Unlock()
	return a.unreserve(ctx, []portolan.Port{port})
}

// releaseLegacy releases a lease stored before leases carried a HostID,
// when its host name is ours.
func (a *Allocator) releaseLegacy(ctx context.Context, port portolan.Port) error {
	ls, err := a.store.Leases(ctx)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l.Port == port && legacy(l, a.host) {
			if n, err := a.store.DeleteLeases(ctx, []int64{l.ID}); err != nil || n == 1 {
				return err
			}
		}
	}
	return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
}

// Reclaim deletes this host's leases of dead owners and expired TTLs and
// returns how many it removed. It also refreshes what this allocator knows
// is taken, so leases other processes granted or released are seen. The
// first Reclaim matches the kernel reservations to the live leases.
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
	var gone, live []portolan.Port
	taken := &bitset{}
	users := newQuota()
	alive := map[Owner]bool{}
	for _, l := range ls {
		if !a.ours(l) {
			continue
		}
		if a.dead(l, now, alive) {
			ids = append(ids, l.ID)
			gone = append(gone, l.Port)
			continue
		}
		taken.set(l.Port)
		live = append(live, l.Port)
		if uid, ok := parseCreatedBy(l.CreatedBy); ok {
			users.add(uid, l.Port)
		}
	}
	n, err := a.store.DeleteLeases(ctx, ids)
	a.mu.Lock()
	for _, p := range a.granted {
		taken.set(p)
		if uid, ok := a.users.owner(p); ok {
			users.add(uid, p)
		}
	}
	if err != nil {
		// The dead leases may still be stored: keep them taken.
		for _, p := range gone {
			taken.set(p)
		}
	}
	a.taken, a.users, a.loaded, a.snapping, a.granted = taken, users, true, false, a.granted[:0]
	a.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if err := a.reconcile(ctx, live); err != nil {
		return n, err
	}
	return n, a.unreserve(ctx, gone)
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
// reservations (restoring ip_local_reserved_ports as it was) and their
// record. Leases stay in the store; a restarted daemon keeps them and
// reserves their ports again.
func (a *Allocator) Close() error {
	k := a.opts.Reserver
	if k == nil {
		return nil
	}
	ours := k.Ours()
	if err := k.Close(); err != nil {
		return err
	}
	if rs, ok := a.store.(portolan.ReservationStore); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return rs.DeleteReservations(ctx, a.opts.HostID, ours)
	}
	return nil
}

// createdBy is what a lease asked for by a local peer records as its
// creator; the per-user bound counts it.
func createdBy(p *portolan.Peer) string {
	if p == nil {
		return ""
	}
	return "uid " + strconv.FormatUint(uint64(p.UID), 10)
}

func parseCreatedBy(s string) (uint32, bool) {
	rest, ok := strings.CutPrefix(s, "uid ")
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(rest, 10, 32)
	return uint32(u), err == nil
}

// quota counts the live leases of each local user who asked as a peer.
type quota struct {
	uid map[portolan.Port]uint32
	n   map[uint32]int
}

func newQuota() quota { return quota{uid: map[portolan.Port]uint32{}, n: map[uint32]int{}} }

func (q quota) add(uid uint32, p portolan.Port) {
	q.release(p)
	q.uid[p] = uid
	q.n[uid]++
}

func (q quota) owner(p portolan.Port) (uint32, bool) {
	u, ok := q.uid[p]
	return u, ok
}

func (q quota) release(p portolan.Port) {
	if u, ok := q.uid[p]; ok {
		delete(q.uid, p)
		if q.n[u]--; q.n[u] <= 0 {
			delete(q.n, u)
		}
	}
}

// bitset is one bit per port.
type bitset [65536 / 64]uint64

func (b *bitset) has(p portolan.Port) bool { return b[p/64]&(1<<(p%64)) != 0 }
func (b *bitset) set(p portolan.Port)      { b[p/64] |= 1 << (p % 64) }
func (b *bitset) clear(p portolan.Port)    { b[p/64] &^= 1 << (p % 64) }
