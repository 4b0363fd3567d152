package http_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
)

// denseRegistry has two records with long descriptions on every port, like
// the busiest stretches of IANA's registry: a 4,096-port range answer is
// about 2.5 MB of JSON.
type denseRegistry struct{}

var longText = strings.Repeat("a service with a long description ", 7)

func (denseRegistry) ByPort(p portolan.Port, proto portolan.Proto) []portolan.Service {
	var out []portolan.Service
	for _, pr := range []portolan.Proto{portolan.TCP, portolan.UDP} {
		if proto.Matches(pr) {
			out = append(out, portolan.Service{Name: "svc-" + p.String(), Proto: pr, Ports: portolan.SinglePort(p), HasPort: true, Description: longText})
		}
	}
	return out
}
func (denseRegistry) ByName(string) []portolan.Service                    { return nil }
func (denseRegistry) CommonUses(portolan.Port) []portolan.CommonUse       { return nil }
func (denseRegistry) CommonUsesNamed(string) []portolan.CommonUse         { return nil }
func (denseRegistry) Updated() string                                     { return "2026-08-17" }
func (denseRegistry) Assigned(p portolan.Port, proto portolan.Proto) bool { return true }

// TestRangeQueriesKeepMemoryBounded: anyone who may read can ask for many
// distinct large range answers at once. The heap stays under 160 MiB while
// they run and keeps less than 32 MiB of them afterwards (before the
// answer cache was bounded by bytes, it kept about 150 MB of them).
func TestRangeQueriesKeepMemoryBounded(t *testing.T) {
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Registry: denseRegistry{}}).Handler())
	defer srv.Close()
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	runtime.GC()
	base := heap()

	var next atomic.Int64
	var failed atomic.Value
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heap(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	// Large answers first, then many distinct answers just small enough
	// to be cached (about 59 KB each).
	run := func(queries, width, minBytes int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(queries) || ctx.Err() != nil {
						return
					}
					lo := 1024 + int(i)*37%40000
					req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/ports/%d-%d", srv.URL, lo, lo+width-1), nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						failed.Store(err.Error())
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || n < int64(minBytes) {
						failed.Store(fmt.Sprintf("range %d: status %d, %d bytes", lo, resp.StatusCode, n))
					}
				}
			}()
		}
		wg.Wait()
	}
	run(30, portolan.MaxQueryPorts, 2<<20)
	next.Store(0)
	run(1000, 90, 50<<10)
	close(stop)
	<-sampled
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}
	runtime.GC()
	kept := int64(heap()) - int64(base)
	t.Logf("heap: base %d MiB, peak %d MiB, kept %d MiB after GC", base>>20, peak.Load()>>20, kept>>20)
	if kept > 32<<20 {
		t.Errorf("the server keeps %d MiB after 1,030 range queries; want < 32 MiB", kept>>20)
	}
	if peak.Load() > base+160<<20 {
		t.Errorf("the heap peaked at %d MiB over a base of %d MiB; want < 160 MiB more", peak.Load()>>20, base>>20)
	}
}
