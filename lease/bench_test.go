package lease_test

import (
	"context"
	"os"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

// BenchmarkGrantRelease is the allocator's hot path in process: pick, bind
// checks, one durable insert (group commit), then a release.
func BenchmarkGrantRelease(b *testing.B) {
	db, err := openAt(b.TempDir() + "/p.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := lease.New(db, lease.Options{Host: fakeHost})
	ctx := context.Background()
	pid := os.Getpid()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ls, err := a.Grant(ctx, portolan.LeaseRequest{PID: pid})
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Release(ctx, ls[0].Port); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPortserverGrant is one portserver request end to end over an
// abstract Unix socket: connect, ask, durable grant, answer.
func BenchmarkPortserverGrant(b *testing.B) {
	db, err := openAt(b.TempDir() + "/p.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := lease.New(db, lease.Options{Host: fakeHost})
	addr := "@portolan-bench-" + b.Name()
	ln, err := lease.ListenUnix(addr)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go lease.ServePortserver(ctx, ln, a)
	pid := os.Getpid()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := lease.AskPortserver(ctx, addr, pid)
			if err != nil {
				b.Fatal(err)
			}
			a.Release(ctx, p)
		}
	})
}
