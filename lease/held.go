package lease

import (
	"context"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// CachedHeld turns a full socket listing into an Options.Held that costs a
// bit lookup per candidate. A daemon granting thousands of ports a second
// cannot ask the kernel about each candidate (a filtered sock_diag dump
// takes milliseconds on a host with tens of thousands of sockets), so it
// lists every socket at most once per maxAge, in the background while the
// previous listing keeps answering. The staleness is safe: the bind check
// runs on every candidate right before it is granted and refuses a port any
// new socket holds; the listing adds what a bind cannot see.
func CachedHeld(list func(context.Context) ([]portolan.Socket, error), maxAge time.Duration) func(context.Context, portolan.Port, portolan.Proto) (bool, error) {
	h := &heldCache{list: list, maxAge: maxAge}
	return h.held
}

type heldCache struct {
	list   func(context.Context) ([]portolan.Socket, error)
	maxAge time.Duration

	mu         sync.Mutex
	tcp, udp   *bitset
	at         time.Time
	refreshing bool
	first      chan struct{} // closed when the first listing is in
}

func (h *heldCache) held(ctx context.Context, p portolan.Port, proto portolan.Proto) (bool, error) {
	h.mu.Lock()
	if h.first == nil {
		h.first = make(chan struct{})
		h.refreshing = true
		go h.refresh()
	} else if !h.refreshing && time.Since(h.at) > h.maxAge {
		h.refreshing = true
		go h.refresh()
	}
	first := h.first
	h.mu.Unlock()
	select {
	case <-first:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tcp == nil {
		return false, portolan.Errorf(portolan.EINTERNAL, "socket inventory unavailable")
	}
	switch proto {
	case portolan.TCP:
		return h.tcp.has(p), nil
	case portolan.UDP:
		return h.udp.has(p), nil
	}
	return h.tcp.has(p) || h.udp.has(p), nil
}

func (h *heldCache) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	socks, err := h.list(ctx)
	var tcp, udp bitset
	for _, s := range socks {
		if s.Proto == portolan.UDP {
			udp.set(portolan.Port(s.Local.Port()))
		} else {
			tcp.set(portolan.Port(s.Local.Port()))
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.tcp, h.udp = &tcp, &udp
	}
	h.at, h.refreshing = time.Now(), false
	select {
	case <-h.first:
	default:
		close(h.first)
	}
}
