package http

import (
	"math"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// What an agent token may make the store write: a bucket of rows (the host,
// each listener and drift item put or dropped, each event) that holds
// budgetBurst and refills budgetRate a second. A new host's first two
// reports at the largest size a report may have (each listener written
// twice, with a drift item each, and an event each for both once
// confirmed: 6 rows a listener) fit; a host taken over that sends made-up
// churn in a loop is answered 429 before anything is written, and then
// writes at most budgetRate rows a second. Admin tokens are not bounded.
const (
	budgetBurst = 8 * maxReportListeners
	budgetRate  = 50
)

// Budget bounds the rows an agent token may make the store write: Burst at
// once, refilled at Rate a second.
type Budget struct {
	Burst int
	Rate  float64
}

// reportBudget keeps one bucket per agent token; tokens come from the token
// file, so the map is as small as the fleet.
type reportBudget struct {
	Budget
	mu  sync.Mutex
	m   map[string]*bucket
	now func() time.Time
}

func newReportBudget(b Budget) reportBudget {
	if b.Burst <= 0 || b.Rate <= 0 {
		b = Budget{Burst: budgetBurst, Rate: budgetRate}
	}
	return reportBudget{Budget: b, now: time.Now}
}

type bucket struct {
	level float64
	at    time.Time
}

// rows is what ch writes.
func rows(ch portolan.HostChange) int {
	return 1 + len(ch.PutListeners) + len(ch.DropListeners) + len(ch.PutDrift) + len(ch.DropDrift) + len(ch.Events)
}

// take spends cost from token's bucket, or returns how long until the
// bucket holds it.
func (b *reportBudget) take(token string, cost int) (time.Duration, bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*bucket{}
	}
	k, ok := b.m[token]
	if !ok {
		k = &bucket{level: float64(b.Burst), at: now}
		b.m[token] = k
	}
	k.level = math.Min(float64(b.Burst), k.level+now.Sub(k.at).Seconds()*b.Rate)
	k.at = now
	c := float64(cost)
	if c <= k.level {
		k.level -= c
		return 0, true
	}
	return time.Duration((c - k.level) / b.Rate * float64(time.Second)), false
}

// refund gives back what a report that was then not written had taken.
func (b *reportBudget) refund(token string, cost int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k, ok := b.m[token]; ok {
		k.level = math.Min(float64(b.Burst), k.level+float64(cost))
	}
}
