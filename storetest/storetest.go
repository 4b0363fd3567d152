// Package storetest is the conformance suite every portolan.Store passes:
// SQLite and PostgreSQL run the same tests, so the CLI and the server
// behave the same whichever store sits behind them. It checks what callers
// rely on: unique constraints that decide races (exactly one concurrent
// writer wins), ECONFLICT and ENOTFOUND codes, all-or-none grants,
// ordering, round trips of every field, the audit trail, and that a store
// with a portolan.HealthChecker reports itself healthy.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

// Run runs the suite. open must return a new, empty store for each call;
// Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) portolan.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s portolan.Store)
	}{
		{"LeaseRoundTrip", testLeaseRoundTrip},
		{"LeasesOrderedByPort", testLeasesOrdered},
		{"LeaseConflictAllOrNone", testLeaseConflict},
		{"LeaseDuplicateInOneGrant", testLeaseDuplicateInGrant},
		{"DeleteLease", testDeleteLease},
		{"DeleteLeasesByID", testDeleteLeases},
		{"LeaseRaceOneWins", testLeaseRace},
		{"LeaseIDsNeverReused", testLeaseIDsNotReused},
		{"LeasesPerHost", testLeasesPerHost},
		{"KernelReservations", testReservations},
		{"AssignmentRoundTrip", testAssignmentRoundTrip},
		{"AssignmentConflict", testAssignmentConflict},
		{"AssignmentFilterAndOrder", testAssignmentFilter},
		{"DeleteAssignmentAudited", testDeleteAssignment},
		{"AuditNewestFirst", testAuditOrder},
		{"AssignmentRaceOneWins", testAssignmentRace},
		{"Health", testHealth},
		{"NamedPorts", testNamedPorts},
		{"NamedPortRaceOneWins", testNamedPortRace},
		{"FleetRoundTrip", testFleetRoundTrip},
		{"FleetConcurrentReports", testFleetConcurrentReports},
		{"FleetAgentBinding", testFleetAgentBinding},
		{"FleetCompaction", testFleetCompaction},
		{"AssignmentScope", testAssignmentScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := portolan.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// recent fails t unless tm is within a minute of now and in UTC.
func recent(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if d := time.Since(tm); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, tm)
	}
	if tm.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, tm.Location())
	}
}

func mustInsert(t *testing.T, s portolan.Store, ls ...*portolan.Lease) {
	t.Helper()
	if err := s.InsertLeases(ctx(t), ls); err != nil {
		t.Fatalf("InsertLeases: %v", err)
	}
}

func leasedPorts(t *testing.T, s portolan.Store) []portolan.Port {
	t.Helper()
	ls, err := s.Leases(ctx(t))
	if err != nil {
		t.Fatalf("Leases: %v", err)
	}
	var ps []portolan.Port
	for _, l := range ls {
		ps = append(ps, l.Port)
	}
	return ps
}
