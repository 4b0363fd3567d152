// Package memstore is an in-memory portolan.Store for the tests of the
// packages that consume a store (the assignment service, the HTTP server,
// the CLI verbs), so they run without a database file. It keeps the same
// rules as the real stores: one lease per port, one assignment per port and
// protocol, an audit entry with every assignment change.
package memstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// hostPort keys a lease: a port is leased once per host.
type hostPort struct {
	host string
	port portolan.Port
}

// Store is safe for concurrent use.
type Store struct {
	mu          sync.Mutex
	next        int64
	leases      map[hostPort]portolan.Lease
	assignments map[portolan.Key]portolan.Assignment
	audit       []portolan.AuditEntry
	reserved    map[hostPort]bool
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

var _ portolan.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		leases:      map[hostPort]portolan.Lease{},
		reserved:    map[hostPort]bool{},
		assignments: map[portolan.Key]portolan.Assignment{},
		Now:         time.Now,
	}
}

func (s *Store) id() int64 { s.next++; return s.next }

// InsertLeases stores ls all or none.
func (s *Store) InsertLeases(ctx context.Context, ls []*portolan.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[hostPort]bool{}
	for _, l := range ls {
		k := hostPort{l.HostID, l.Port}
		if _, ok := s.leases[k]; ok || seen[k] {
			return portolan.Errorf(portolan.ECONFLICT, "port %d is already leased", l.Port)
		}
		seen[k] = true
	}
	now := s.Now().UTC()
	for _, l := range ls {
		l.ID, l.Created = s.id(), now
		s.leases[hostPort{l.HostID, l.Port}] = *l
	}
	return nil
}

// Leases returns every lease ordered by port.
func (s *Store) Leases(ctx context.Context) ([]portolan.Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]portolan.Lease, 0, len(s.leases))
	for _, l := range s.leases {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b portolan.Lease) int { return int(a.Port) - int(b.Port) })
	return out, nil
}

// DeleteLease removes the lease on port of hostID.
func (s *Store) DeleteLease(ctx context.Context, hostID string, port portolan.Port) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := hostPort{hostID, port}
	if _, ok := s.leases[k]; !ok {
		return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
	}
	delete(s.leases, k)
	return nil
}

// DeleteLeases removes the leases with the given IDs.
func (s *Store) DeleteLeases(ctx context.Context, ids []int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, l := range s.leases {
		if slices.Contains(ids, l.ID) {
			delete(s.leases, p)
			n++
		}
	}
	return n, nil
}

// CreateAssignment stores a and its audit entry.
func (s *Store) CreateAssignment(ctx context.Context, a *portolan.Assignment) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := portolan.Key{Port: a.Port, Proto: a.Proto}
	if e, ok := s.assignments[k]; ok {
		return portolan.Errorf(portolan.ECONFLICT, "%d/%s is already assigned to %s", a.Port, a.Proto, e.Name)
	}
	a.ID, a.Created = s.id(), s.Now().UTC()
	s.assignments[k] = *a
	s.audit = append(s.audit, portolan.AuditEntry{ID: s.id(), Time: a.Created, Actor: a.CreatedBy,
		Action: "assign", Subject: k.Port.String() + "/" + k.Proto.String(), Detail: a.Name})
	return nil
}

// Assignments returns the matching assignments ordered by port and protocol.
func (s *Store) Assignments(ctx context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []portolan.Assignment
	for _, a := range s.assignments {
		if (f.Port == nil || *f.Port == a.Port) && (f.Proto == portolan.ProtoAny || f.Proto == a.Proto) &&
			(f.Owner == "" || f.Owner == a.Owner) && (f.Name == "" || f.Name == a.Name) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b portolan.Assignment) int {
		if a.Port != b.Port {
			return int(a.Port) - int(b.Port)
		}
		return int(a.Proto) - int(b.Proto)
	})
	return out, nil
}

// DeleteAssignment removes the assignment of port/proto and audits it.
func (s *Store) DeleteAssignment(ctx context.Context, port portolan.Port, proto portolan.Proto, actor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := portolan.Key{Port: port, Proto: proto}
	a, ok := s.assignments[k]
	if !ok {
		return portolan.Errorf(portolan.ENOTFOUND, "%d/%s is not assigned", port, proto)
	}
	delete(s.assignments, k)
	s.audit = append(s.audit, portolan.AuditEntry{ID: s.id(), Time: s.Now().UTC(), Actor: actor,
		Action: "unassign", Subject: port.String() + "/" + proto.String(), Detail: a.Name})
	return nil
}

// Audit returns the newest limit entries, newest first.
func (s *Store) Audit(ctx context.Context, limit int) ([]portolan.AuditEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []portolan.AuditEntry
	for i := len(s.audit) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, s.audit[i])
	}
	return out, nil
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// Reservations returns the kernel reservations recorded for hostID.
func (s *Store) Reservations(ctx context.Context, hostID string) ([]portolan.Port, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []portolan.Port
	for k := range s.reserved {
		if k.host == hostID {
			out = append(out, k.port)
		}
	}
	slices.Sort(out)
	return out, nil
}

// AddReservations records ports for hostID.
func (s *Store) AddReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ports {
		s.reserved[hostPort{hostID, p}] = true
	}
	return nil
}

// DeleteReservations forgets ports for hostID.
func (s *Store) DeleteReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ports {
		delete(s.reserved, hostPort{hostID, p})
	}
	return nil
}
