// Command allocload drives a portserver (portolan serve's Unix socket, or
// Google's) from N concurrent clients and prints grants per second and
// latency percentiles. Each request is one connection, as portpicker makes
// it. The leases belong to this process and return when it exits, so a run
// stays below the pool's size (-n). bench/allocate.sh runs it.
//
// With -daemon it is instead a lease daemon composed from the library the
// way the issue recommends (SQLite store, allocator with the registry and a
// cached socket inventory, portserver socket), to measure the library apart
// from `portolan serve`'s wiring.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func main() {
	addr := flag.String("addr", lease.DefaultPortserver, "portserver address (@name: abstract)")
	conc := flag.Int("c", 32, "concurrent clients")
	total := flag.Int("n", 20000, "grants in all")
	daemon := flag.Bool("daemon", false, "serve a portserver on -addr over the SQLite file -db instead of loading one")
	db := flag.String("db", "", "SQLite file for -daemon")
	flag.Parse()
	if *daemon {
		if err := serve(*addr, *db); err != nil {
			fmt.Fprintln(os.Stderr, "allocload:", err)
			os.Exit(1)
		}
		return
	}

	var next, errs atomic.Int64
	lat := make([][]time.Duration, *conc)
	seen := make([]map[portolan.Port]bool, *conc)
	var wg sync.WaitGroup
	start := time.Now()
	pid := os.Getpid()
	for w := range *conc {
		seen[w] = map[portolan.Port]bool{}
		wg.Go(func() {
			for next.Add(1) <= int64(*total) {
				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				p, err := lease.AskPortserver(ctx, *addr, pid)
				cancel()
				if err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
				seen[w][p] = true
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	ports := map[portolan.Port]bool{}
	dups := 0
	for w := range lat {
		all = append(all, lat[w]...)
		for p := range seen[w] {
			if ports[p] {
				dups++
			}
			ports[p] = true
		}
	}
	slices.Sort(all)
	pct := func(q float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*q))]
	}
	fmt.Printf("%d grants in %.2fs by %d clients: %.0f grants/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors, %d duplicate ports\n",
		len(all), el.Seconds(), *conc, float64(len(all))/el.Seconds(),
		ms(pct(0.50)), ms(pct(0.99)), ms(pct(1)), errs.Load(), dups)
	if dups > 0 || errs.Load() > 0 {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
