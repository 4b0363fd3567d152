package serve

import (
	"context"
	"net"
	"os"
	"testing"

	"github.com/portolan-dev/portolan"
)

// serve's scan carries, for each listener, what holds it and how far it
// reaches: this test's own loopback listener is held by this process and
// reaches loopback only, with no firewall verdict (no other host asks).
func TestListenersCarryHolderAndExposure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	socks, err := listeners(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.Local.String() != ln.Addr().String() {
			continue
		}
		if s.Owner == nil || s.Owner.PID != os.Getpid() || s.Owner.Holder == nil || s.Owner.Holder.Age < 0 {
			t.Errorf("own listener's owner = %+v; want this process with its holder", s.Owner)
		}
		if e := s.Exposure; e == nil || e.Reach != portolan.ReachLoopback || e.Exposed || e.Firewall != "" {
			t.Errorf("own listener's exposure = %+v; want loopback, not exposed", e)
		}
		return
	}
	t.Fatalf("own listener %s not in the scan", ln.Addr())
}
