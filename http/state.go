package http

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
)

// state is one snapshot of what changes on this host and in the store.
// Reads serve from it so that a hot GET costs no system call and no query;
// gen identifies it so cached responses know when they went stale.
type state struct {
	gen         uint64
	at          time.Time
	socketsAt   time.Time         // the socket scan is the costly part: it has its own, longer TTL
	listeners   []portolan.Socket // as any reader may see them: no command lines, no login names
	adminView   []portolan.Socket // as admin tokens see them: command lines with secrets masked
	leases      []portolan.Lease
	assignments []portolan.Assignment
}

// socketsTTL bounds how stale the listeners may be: scanning /proc for
// owners costs tens of milliseconds on a busy host, too much every second.
const socketsTTL = 5 * time.Second

// stateCache refreshes the snapshot when it is older than ttl or when this
// server changed something (invalidate).
type stateCache struct {
	cfg   Config
	ttl   time.Duration
	cur   atomic.Pointer[state]
	mu    sync.Mutex // one refresh at a time
	gen   atomic.Uint64
	dirty atomic.Bool
}

func newStateCache(cfg Config, ttl time.Duration) *stateCache {
	c := &stateCache{cfg: cfg, ttl: ttl}
	c.cur.Store(&state{})
	c.dirty.Store(true)
	return c
}

func (c *stateCache) invalidate() { c.dirty.Store(true) }

// get returns the current snapshot. After a change through this server it
// refreshes first (read your writes); when the snapshot is merely older
// than the TTL, one background refresh starts and readers keep the old one
// meanwhile, so a slow socket scan never stalls a request.
func (c *stateCache) get(ctx context.Context) *state {
	s := c.cur.Load()
	if !c.dirty.Load() {
		if time.Since(s.at) >= c.ttl && c.mu.TryLock() {
			go func() {
				defer c.mu.Unlock()
				if time.Since(c.cur.Load().at) >= c.ttl {
					c.refresh(context.Background())
				}
			}()
		}
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty.Load() {
		c.refresh(context.WithoutCancel(ctx)) // a client hanging up must not blank the snapshot
	}
	return c.cur.Load()
}

// refresh reads every source; the caller holds mu. Failures of one source
// leave that source empty rather than failing reads.
func (c *stateCache) refresh(ctx context.Context) {
	c.dirty.Store(false)
	old := c.cur.Load()
	ns := &state{gen: c.gen.Add(1), at: time.Now(), socketsAt: old.socketsAt, listeners: old.listeners, adminView: old.adminView}
	if c.cfg.Sockets != nil && time.Since(old.socketsAt) >= socketsTTL {
		ns.socketsAt, ns.listeners, ns.adminView = ns.at, nil, nil
		if socks, err := c.cfg.Sockets(ctx); err == nil {
			l := listening(socks)
			ns.listeners, ns.adminView = redactSockets(l, RoleRead), redactSockets(l, RoleAdmin)
		}
	}
	if c.cfg.Leases != nil {
		ns.leases, _ = c.cfg.Leases.Leases(ctx)
	}
	if c.cfg.Assignments != nil {
		ns.assignments, _ = c.cfg.Assignments.Assignments(ctx, portolan.AssignmentFilter{})
	}
	c.cur.Store(ns)
}

// listenersFor returns the listeners as role may see them (redactSockets).
// Answers built from it must be cached per view (admin or not).
func (st *state) listenersFor(role Role) []portolan.Socket {
	if role == RoleAdmin {
		return st.adminView
	}
	return st.listeners
}

// listening returns the listening sockets of socks.
func listening(socks []portolan.Socket) []portolan.Socket {
	out := []portolan.Socket{}
	for _, sk := range socks {
		if sk.Listening() {
			out = append(out, sk)
		}
	}
	return out
}

// in returns the elements of xs whose port lies in r.
func in[T any](xs []T, r portolan.Range, port func(T) portolan.Port) []T {
	out := []T{}
	for _, x := range xs {
		if r.Contains(port(x)) {
			out = append(out, x)
		}
	}
	return out
}

func sockPort(s portolan.Socket) portolan.Port       { return portolan.Port(s.Local.Port()) }
func leasePort(l portolan.Lease) portolan.Port       { return l.Port }
func assignPort(a portolan.Assignment) portolan.Port { return a.Port }

// responseCache keeps encoded responses per key for one state generation.
// It is bounded by entries and by bytes (maxCacheBytes): when either is
// reached it starts over, which is fine for a cache of cheap-to-rebuild
// answers, and a client asking for many distinct large answers cannot grow
// it past the bound.
type responseCache struct {
	mu    sync.RWMutex
	max   int
	bytes int
	m     map[string]cached
}

// maxCacheBytes bounds the bytes one response cache holds.
const maxCacheBytes = 16 << 20

type cached struct {
	gen    uint64
	status int
	body   []byte
	clen   []string // Content-Length, shared by every answer (net/http only reads it)
}

func newCached(gen uint64, body []byte) cached {
	return cached{gen, http.StatusOK, body, []string{strconv.Itoa(len(body))}}
}

// write answers with the cached body without allocating.
func (e cached) write(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = e.clen
	w.WriteHeader(e.status)
	w.Write(e.body)
}

func newResponseCache(max int) *responseCache {
	return &responseCache{max: max, m: make(map[string]cached)}
}

func (c *responseCache) get(key string, gen uint64) (cached, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	return e, ok && e.gen == gen
}

func (c *responseCache) put(key string, e cached) {
	n := len(key) + len(e.body)
	if n > maxCacheBytes {
		return
	}
	c.mu.Lock()
	if old, ok := c.m[key]; ok {
		c.bytes -= len(key) + len(old.body)
	}
	if len(c.m) >= c.max || c.bytes+n > maxCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	c.m[key] = e
	c.bytes += n
	c.mu.Unlock()
}

// conflictError carries the conflicts of a refused assignment to the error
// writer, which adds them to the error body.
type conflictError struct {
	error
	conflicts []portolan.Conflict
}

func (e conflictError) Unwrap() error { return e.error }

func conflictsOf(err error) []portolan.Conflict {
	var ce conflictError
	if errors.As(err, &ce) {
		return ce.conflicts
	}
	return nil
}

// uniquePorts returns the sorted distinct ports of xs.
func uniquePorts[T any](xs []T, port func(T) portolan.Port) []portolan.Port {
	out := make([]portolan.Port, 0, len(xs))
	for _, x := range xs {
		out = append(out, port(x))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
