package storetest

import (
	"slices"
	"testing"

	"github.com/portolan-dev/portolan"
)

// testHealth checks a store that reports its health: a fresh store, and
// one that has just taken and refused writes, can take writes. (Each store
// tests the failures it can have: a deleted file, a read-only server.)
func testHealth(t *testing.T, s portolan.Store) {
	h, ok := s.(portolan.HealthChecker)
	if !ok {
		return // an optional interface; the real stores assert theirs
	}
	if err := h.Health(ctx(t)); err != nil {
		t.Fatalf("Health of a new store: %v", err)
	}
	mustInsert(t, s, &portolan.Lease{Port: 20001, Proto: portolan.TCP})
	if err := s.InsertLeases(ctx(t), []*portolan.Lease{{Port: 20001}}); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Fatalf("a conflicting grant = %v, want ECONFLICT", err)
	}
	for range 3 {
		if err := h.Health(ctx(t)); err != nil {
			t.Fatalf("Health after writes: %v", err)
		}
	}
	if ps := leasedPorts(t, s); !slices.Equal(ps, []portolan.Port{20001}) {
		t.Fatalf("leases after health checks = %v; want only 20001 (a health check changes nothing)", ps)
	}
}
