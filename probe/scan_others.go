//go:build !linux

package probe

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Elsewhere a pass runs one goroutine per probe in flight with the
// standard dialer; the window, pacing, RTT estimate and retries are shared
// with the Linux engine.
func (s *scan) pass(ctx context.Context, idx []int, scale float64) error {
	var wg sync.WaitGroup
	for _, i := range idx {
		if !s.acquire(ctx) {
			break
		}
		if !s.pace.wait(ctx) {
			s.release(false, 0)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.attempts.Add(1)
			s.res[i].Attempts++
			d := net.Dialer{Timeout: s.timeout(scale)}
			start := time.Now()
			c, err := d.DialContext(ctx, "tcp", s.probes[i].Addr.String())
			rtt := time.Since(start)
			switch {
			case err == nil && c.LocalAddr().String() == c.RemoteAddr().String():
				c.Close() // connected to itself: nothing listens there
				s.finish(i, Closed, "self-connect", rtt, "")
				s.release(true, rtt)
			case err == nil:
				s.finish(i, Open, "syn-ack", rtt, "")
				s.release(true, rtt)
				if s.o.Banner {
					s.readBanner(i, c)
				} else {
					c.(*net.TCPConn).SetLinger(0)
					c.Close()
				}
			case errors.Is(err, syscall.ECONNREFUSED):
				s.finish(i, Closed, "conn-refused", rtt, "")
				s.release(true, rtt)
			case errors.Is(err, syscall.EHOSTUNREACH):
				s.finish(i, Filtered, "host-unreach", rtt, "")
				s.release(false, 0)
			default:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					s.finish(i, Filtered, "no-response", 0, "")
				} else {
					s.finish(i, Error, "error", 0, err.Error())
				}
				s.release(false, 0)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
