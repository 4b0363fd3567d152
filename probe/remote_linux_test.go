package probe

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testnet"
)

// groundTruth sets up ns with open, dropped and rejected ports and
// returns the state every port 1-hi must have.
func groundTruth(t *testing.T, ns *testnet.NS, hi int, nOpen, nDrop, nReject int) map[portolan.Port]State {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(hi), 7))
	want := map[portolan.Port]State{}
	pick := func() portolan.Port {
		for {
			p := portolan.Port(1 + rng.IntN(hi))
			if _, taken := want[p]; !taken {
				return p
			}
		}
	}
	var drop, reject []portolan.Port
	for range nOpen {
		p := pick()
		want[p] = Open
		if _, err := ns.Listen(":" + p.String()); err != nil {
			t.Fatal(err)
		}
	}
	for range nDrop {
		p := pick()
		want[p] = Filtered
		drop = append(drop, p)
	}
	for range nReject {
		p := pick()
		want[p] = Closed
		reject = append(reject, p)
	}
	if err := ns.Drop(drop...); err != nil {
		t.Fatal(err)
	}
	if err := ns.Reject(reject...); err != nil {
		t.Fatal(err)
	}
	return want
}

func checkTruth(t *testing.T, res []Result, want map[portolan.Port]State) {
	t.Helper()
	bad := 0
	for _, r := range res {
		w, ok := want[r.Port]
		if !ok {
			w = Closed
		}
		if r.State != w && bad < 10 {
			bad++
			t.Errorf("port %d: %v (%s %s), want %v", r.Port, r.State, r.Reason, r.Error, w)
		}
	}
}

func allPorts(hi int) []portolan.Port {
	ports := make([]portolan.Port, hi)
	for i := range ports {
		ports[i] = portolan.Port(i + 1)
	}
	return ports
}

// TestScanFiltered: a namespace over veth with DROP and REJECT rules.
func TestScanFiltered(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	want := groundTruth(t, ns, 2000, 5, 20, 5)
	res, st, err := Scan(context.Background(), probesFor(ns.Addr.String(), ns.Addr, allPorts(2000)), Options{Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, res, want)
	t.Logf("%+v", st)
}

// TestScanDelayed: the slow host, ports 1-10000 behind a 20 ms
// each-way link with 100 dropped and 10 open; results equal ground truth.
func TestScanDelayed(t *testing.T) {
	ns := testnet.New(t, testnet.Options{Delay: 20 * time.Millisecond})
	want := groundTruth(t, ns, 10000, 10, 100, 10)
	start := time.Now()
	res, st, err := Scan(context.Background(), probesFor(ns.Addr.String(), ns.Addr, allPorts(10000)), Options{Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, res, want)
	t.Logf("10000 ports behind 40 ms RTT in %v: %+v", time.Since(start), st)
	if st.SRTT < 35*time.Millisecond || st.SRTT > 200*time.Millisecond {
		t.Errorf("srtt %v, want about 40ms", st.SRTT)
	}
}

// TestScanRate: --rate spaces attempts; 200 probes at 2000/s take >= 100 ms.
func TestScanRate(t *testing.T) {
	closed := closedPort(t, "127.0.0.1:0")
	probes := make([]Probe, 200)
	for i := range probes {
		probes[i] = Probe{Target: "x", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(closed))}
	}
	start := time.Now()
	res, _, err := Scan(context.Background(), probes, Options{Rate: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 95*time.Millisecond || d > 2*time.Second {
		t.Errorf("200 probes at 2000/s took %v, want about 100ms", d)
	}
	for _, r := range res {
		if r.State != Closed {
			t.Fatalf("%v", r)
		}
	}
}
