package lease_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

// stressSize is the load: 64 clients, each taking and releasing
// 1,000 leases while holding up to 50. Under -race (about ten times
// slower) each client does 100; the full size runs without -race.
func stressSize() (clients, ops, hold int) {
	if raceEnabled || testing.Short() {
		return 64, 100, 50
	}
	return 64, 1000, 50
}

// stress runs the load through grant and release and fails if two live
// leases ever share a port.
func stress(t *testing.T, grant func(context.Context) (portolan.Port, error), release func(context.Context, portolan.Port) error) {
	clients, ops, hold := stressSize()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	led := newLedger()
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			var held []portolan.Port
			drop := func(i int) error {
				p := held[i]
				held[i] = held[len(held)-1]
				held = held[:len(held)-1]
				led.give(p) // before the release: afterwards another client may rightly get it
				return release(ctx, p)
			}
			for taken := 0; taken < ops; {
				if len(held) < hold && (len(held) == 0 || rng.IntN(3) > 0) {
					p, err := grant(ctx)
					if err != nil {
						errc <- fmt.Errorf("client %d grant %d: %w", c, taken, err)
						return
					}
					led.take(p, c)
					held = append(held, p)
					taken++
				} else if err := drop(rng.IntN(len(held))); err != nil {
					errc <- fmt.Errorf("client %d release: %w", c, err)
					return
				}
			}
			for len(held) > 0 {
				if err := drop(0); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if len(led.dups) > 0 {
		t.Fatalf("%d grants handed out a port another client still held, e.g. %v", len(led.dups), led.dups[:min(5, len(led.dups))])
	}
	t.Logf("%d clients x %d leases (holding up to %d): %v, %.0f grants/s",
		clients, ops, hold, time.Since(start).Round(time.Millisecond), float64(clients*ops)/time.Since(start).Seconds())
}

func TestStressInProcess(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	stress(t,
		func(ctx context.Context) (portolan.Port, error) {
			ls, err := a.Grant(ctx, portolan.LeaseRequest{})
			if err != nil {
				return 0, err
			}
			return ls[0].Port, nil
		},
		a.Release)
	if ls, _ := store.Leases(ctxT(t)); len(ls) != 0 {
		t.Errorf("%d leases left after every client released", len(ls))
	}
}

func TestStressPortserver(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost})
	addr := servePortserver(t, a)
	pid := os.Getpid()
	stress(t,
		func(ctx context.Context) (portolan.Port, error) { return lease.AskPortserver(ctx, addr, pid) },
		a.Release)
}

// Separate allocators over one SQLite file, each with its own lock file
// handle, behave like concurrent `portolan free` processes: no port twice.
func TestLockFileProcessesNeverCollide(t *testing.T) {
	_, path := openStore(t)
	lockPath := path + ".lock"
	led := newLedger()
	var wg sync.WaitGroup
	for c := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := openAt(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Close()
			a := lease.New(db, lease.Options{Host: fakeHost, Lock: lease.NewFileLock(lockPath)})
			for range 20 {
				ls, err := a.Grant(context.Background(), portolan.LeaseRequest{Count: 2, TTL: time.Minute, Pool: "26000-26999"})
				if err != nil {
					t.Error(err)
					return
				}
				for _, l := range ls {
					led.take(l.Port, c)
				}
			}
		}()
	}
	wg.Wait()
	if len(led.dups) > 0 {
		t.Fatalf("ports handed to two processes: %v", led.dups)
	}
	if len(led.holder) != 6*20*2 {
		t.Fatalf("%d distinct ports, want %d", len(led.holder), 6*20*2)
	}
}

// Each CLI process is a new allocator; the lock file carries the last port
// handed out, so the next process never hands out the same one right after.
func TestLockFileCarriesCursor(t *testing.T) {
	_, path := openStore(t)
	lockPath := path + ".lock"
	prev := portolan.Port(0)
	for range 6 {
		db, err := openAt(path)
		if err != nil {
			t.Fatal(err)
		}
		// Every port binds, so the order is the allocator's alone.
		a := lease.New(db, lease.Options{Host: fakeHost, Lock: lease.NewFileLock(lockPath),
			Bindable: func(portolan.Port, portolan.Proto) bool { return true }})
		ls, err := a.Grant(context.Background(), portolan.LeaseRequest{Pool: "29000-29009"})
		if err != nil {
			t.Fatal(err)
		}
		if ls[0].Port == prev {
			t.Fatalf("a new process handed out %d again right after the previous one", prev)
		}
		if prev != 0 && ls[0].Port != prev+1 && !(prev == 29009 && ls[0].Port == 29000) {
			t.Errorf("process continued at %d, want the port after %d", ls[0].Port, prev)
		}
		prev = ls[0].Port
		if err := a.Release(context.Background(), prev); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// Two allocators sharing one store without a lock (a daemon and a CLI
// process, two servers on one database), starting at the same point of the
// pool, grant concurrently: every grant succeeds while the pool has free
// ports. Walking the pool in step, they used to collide again after each
// lost race and give up with "no lease after 8 attempts".
func TestTwoAllocatorsInStepNeverGiveUp(t *testing.T) {
	db, _ := openStore(t)
	const pool = "10000-13999"
	newAlloc := func() *lease.Allocator {
		return lease.New(db, lease.Options{Host: fakeHost, Rand: rand.New(rand.NewPCG(1, 2)),
			Bindable: func(portolan.Port, portolan.Proto) bool { return true }})
	}
	allocs := []*lease.Allocator{newAlloc(), newAlloc()}
	rounds := 150
	if raceEnabled || testing.Short() {
		rounds = 40
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	led := newLedger()
	for w := range 16 {
		a := allocs[w%2]
		wg.Go(func() {
			var held []portolan.Port
			for i := range rounds {
				ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Pool: pool, Count: 1 + i%3})
				if err != nil {
					errs <- fmt.Errorf("worker %d grant %d: %w", w, i, err)
					return
				}
				for _, l := range ls {
					led.take(l.Port, w)
					held = append(held, l.Port)
				}
				if len(held) > 20 {
					led.give(held[0])
					if err := a.Release(ctxT(t), held[0]); err != nil {
						errs <- err
						return
					}
					held = held[1:]
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(led.dups) > 0 {
		t.Fatalf("ports granted twice: %v", led.dups)
	}
}
