package http

import (
	"context"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// scanTimeout bounds one shared socket scan, which no single caller owns.
const scanTimeout = 30 * time.Second

// sharedScan makes concurrent callers of scan share one call: a caller
// arriving while a scan runs waits for that scan's answer instead of
// starting another (a /proc walk costs tens of milliseconds, and a burst
// of requests would otherwise multiply it). A caller that gives up waiting
// leaves the scan running for the others; the scan runs detached from any
// one caller's cancellation, bounded by scanTimeout.
type sharedScan struct {
	scan func(context.Context) ([]portolan.Socket, error)
	mu   sync.Mutex
	cur  *scanCall
}

type scanCall struct {
	done  chan struct{}
	socks []portolan.Socket
	err   error
}

func (s *sharedScan) do(ctx context.Context) ([]portolan.Socket, error) {
	s.mu.Lock()
	c := s.cur
	if c == nil {
		c = &scanCall{done: make(chan struct{})}
		s.cur = c
		go func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), scanTimeout)
			c.socks, c.err = s.scan(sctx)
			cancel()
			s.mu.Lock()
			s.cur = nil
			s.mu.Unlock()
			close(c.done)
		}()
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.socks, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
