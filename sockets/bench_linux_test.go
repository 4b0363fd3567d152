package sockets

import (
	"context"
	"encoding/binary"
	"net"
	"testing"

	"github.com/portolan-dev/portolan"
	"golang.org/x/sys/unix"
)

// TestHotPathsDoNotAllocate pins the per-socket and per-descriptor work:
// decoding a netlink message and reading a descriptor's link.
func TestHotPathsDoNotAllocate(t *testing.T) {
	msg := make([]byte, diagMsgLen)
	msg[0], msg[1] = unix.AF_INET6, stListen
	binary.BigEndian.PutUint16(msg[4:], 8080)
	link := []byte("socket:[123456]")
	if n := testing.AllocsPerRun(100, func() { parseDiagMsg(msg) }); n != 0 {
		t.Errorf("parseDiagMsg allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { socketInode(link) }); n != 0 {
		t.Errorf("socketInode allocates %v times, want 0", n)
	}
	dir, err := openFDDir(unix.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dir)
	w := worker{s: newOwnerScan(nil, false), buf: make([]byte, 8<<10)}
	if n := testing.AllocsPerRun(100, func() { w.resolve(dir, 1, 1) }); n != 0 {
		t.Errorf("resolving a descriptor allocates %v times, want 0", n)
	}
}

// listenOne listens on a loopback TCP port until b ends and returns it.
func listenOne(b *testing.B) portolan.Port {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return portolan.Port(ln.Addr().(*net.TCPAddr).Port)
}

func BenchmarkListeningOnePort(b *testing.B) {
	p := listenOne(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Listening(ctx, p, portolan.TCP); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkOwnersOnePort(b *testing.B) {
	p := listenOne(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if s, err := Owners(ctx, p, portolan.TCP); len(s) != 1 || err != nil {
			b.Fatal(s, err)
		}
	}
}

func BenchmarkListAllNoOwners(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := List(ctx, Filter{All: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseProcNetLine(b *testing.B) {
	line := []byte("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseProcNetLine(line, true); !ok {
			b.Fatal("no parse")
		}
	}
}
