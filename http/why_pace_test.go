package http_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
)

// Readers' why requests, which bind the port for an instant, are paced:
// twenty at once take about a second, not a burst; admins are not paced.
func TestWhyIsPacedForReaders(t *testing.T) {
	var mu sync.Mutex
	var calls []time.Time
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Why = func(ctx context.Context, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error) {
			mu.Lock()
			calls = append(calls, time.Now())
			mu.Unlock()
			return portolan.BindReport{Port: p, WillBind: true}, nil
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { porthttptest.Get(t, e.url+"/v1/why/45000", "") })
	}
	wg.Wait()
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Errorf("20 anonymous why requests took %v; want them paced (about 50 ms apart)", d)
	}
	start = time.Now()
	for range 20 {
		porthttptest.Get(t, e.url+"/v1/why/45000", adminToken)
	}
	if d := time.Since(start); d > 800*time.Millisecond {
		t.Errorf("20 admin why requests took %v; want them unpaced", d)
	}
}
