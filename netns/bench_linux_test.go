package netns

import (
	"context"
	"net"
	"testing"

	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/sockets"
)

// BenchmarkSocketsAll reads every namespace of the host (ls --netns all)
// with 10 test namespaces of 100 listeners each, owners included;
// bench/netns.sh compares the binary with nsenter + ss at 50 namespaces.
func BenchmarkSocketsAll(b *testing.B) {
	for range 10 {
		ns := testnet.New(b, testnet.Options{})
		for range 100 {
			var l net.Listener
			if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:0"); return }); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { l.Close() })
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		all, err := Find()
		if err != nil {
			b.Fatal(err)
		}
		socks, err := Sockets(ctx, all, sockets.Filter{WithOwners: true})
		if err != nil || len(socks) < 1000 {
			b.Fatalf("%d sockets, %v", len(socks), err)
		}
	}
}
