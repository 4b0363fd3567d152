package holder_test

import (
	"context"
	"net"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/sockets"
)

// benchSockets opens 2,000 loopback listeners and 4,000 connections to
// them: 10,000 sockets, as bench/holder.sh holds, closed when b ends.
func benchSockets(b *testing.B) {
	b.Helper()
	var closers []func() error
	b.Cleanup(func() {
		for _, c := range closers {
			c()
		}
	})
	var lns []net.Listener
	for range 2000 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Skipf("opening 10,000 sockets: %v", err)
		}
		lns = append(lns, ln)
		closers = append(closers, ln.Close)
	}
	for i := range 4000 {
		c, err := net.Dial("tcp", lns[i%len(lns)].Addr().String())
		if err != nil {
			b.Skipf("opening 10,000 sockets: %v", err)
		}
		s, err := lns[i%len(lns)].Accept()
		if err != nil {
			b.Fatal(err)
		}
		closers = append(closers, c.Close, s.Close)
	}
}

// The holder pass beside the scan it annotates: BenchmarkScan is `ls -a`'s
// socket and owner scan at 10,000 sockets, BenchmarkScanAndHolders the
// same with owner.holder worked out (issue #12: at most 10% more).
func BenchmarkScan(b *testing.B) {
	benchSockets(b)
	for b.Loop() {
		if _, err := sockets.List(context.Background(), sockets.Filter{All: true, WithOwners: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanAndHolders(b *testing.B) {
	benchSockets(b)
	for b.Loop() {
		socks, err := sockets.List(context.Background(), sockets.Filter{All: true, WithOwners: true})
		if err != nil {
			b.Fatal(err)
		}
		holder.Annotate(socks, holder.Options{})
	}
}

// BenchmarkAnnotate is the holder pass alone over the same scan.
func BenchmarkAnnotate(b *testing.B) {
	benchSockets(b)
	socks, err := sockets.List(context.Background(), sockets.Filter{All: true, WithOwners: true})
	if err != nil {
		b.Fatal(err)
	}
	fresh := make([]portolan.Socket, len(socks))
	for b.Loop() {
		copy(fresh, socks)
		holder.Annotate(fresh, holder.Options{})
	}
}
