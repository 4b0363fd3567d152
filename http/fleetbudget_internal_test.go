package http

import (
	"net/netip"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

// The bucket starts full, refills at budgetRate a second up to
// budgetBurst, says how long until a refused cost fits, takes nothing on a
// refusal, and keeps one bucket per token.
func TestReportBudget(t *testing.T) {
	now := time.Unix(1.8e9, 0)
	b := newReportBudget(Budget{})
	b.now = func() time.Time { return now }
	if _, ok := b.take("a", budgetBurst); !ok {
		t.Fatal("a full bucket refused its whole burst")
	}
	wait, ok := b.take("a", 2*budgetRate)
	if ok || wait != 2*time.Second {
		t.Fatalf("an empty bucket: ok %v, wait %s; want refused, 2s", ok, wait)
	}
	if _, ok := b.take("b", 1); !ok {
		t.Error("token b refused while token a is out of budget")
	}
	now = now.Add(time.Second)
	if _, ok := b.take("a", budgetRate+1); ok {
		t.Error("one second refilled more than budgetRate")
	}
	if _, ok := b.take("a", budgetRate); !ok {
		t.Error("a refusal took from the bucket, or one second refilled less than budgetRate")
	}
	b.refund("a", 10)
	if _, ok := b.take("a", 10); !ok {
		t.Error("a refund was not given back")
	}
	now = now.Add(24 * time.Hour)
	if _, ok := b.take("a", budgetBurst+1); ok {
		t.Error("a day's refill went past budgetBurst")
	}
}

// The default burst holds a new host's first two reports (seen, then
// confirmed) at the most listeners a report may carry, none of them
// assigned: the worst a well-behaved agent writes at once.
func TestReportBudgetFitsANewHost(t *testing.T) {
	ls := make([]portolan.FleetListener, maxReportListeners)
	for i := range ls {
		ls[i] = portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.IPv4Unspecified(), Port: portolan.Port(1 + i)}, Program: "/usr/bin/app", Reach: portolan.ReachAll}
	}
	now := time.Unix(1.8e9, 0).UTC()
	rec := portolan.HostRecord{Listeners: map[portolan.ListenerKey]portolan.FleetListener{}, Drift: map[portolan.DriftKey]portolan.DriftItem{}}
	total := 0
	for seq := uint64(1); seq <= 2; seq++ {
		ch, _ := portolan.ApplyReport(rec, seq > 1, portolan.FleetReport{HostID: "m", Seq: seq, Full: true, Listeners: ls}, nil, now)
		total += rows(ch)
		rec.Host = ch.Host
		for _, l := range ch.PutListeners {
			rec.Listeners[l.ListenerKey] = l
		}
		for _, d := range ch.PutDrift {
			rec.Drift[d.DriftKey] = d
		}
	}
	if total > budgetBurst {
		t.Fatalf("a new host of %d listeners writes %d rows in its first two reports; the burst is %d", maxReportListeners, total, budgetBurst)
	}
	if total < 5*maxReportListeners {
		t.Errorf("a new host of %d listeners writes %d rows: the budget's arithmetic (6 a listener) is off", maxReportListeners, total)
	}
}
