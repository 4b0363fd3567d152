package probe

import (
	"context"
	"net/netip"
	"testing"

	"github.com/portolan-dev/portolan"
)

func BenchmarkParsePorts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePorts("22,80,443,8000-8100,ssh,https", fakeResolver); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanLoopback1000 scans 1000 loopback ports (refused inline):
// the per-probe cost of the engine on the fast path.
func BenchmarkScanLoopback1000(b *testing.B) {
	ports := make([]portolan.Port, 1000)
	for i := range ports {
		ports[i] = portolan.Port(1 + i)
	}
	probes := probesFor("127.0.0.1", netip.MustParseAddr("127.0.0.1"), ports)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Scan(context.Background(), probes, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
