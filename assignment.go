package portolan

import (
	"context"
	"time"
)

// Assignment is an organisation's own registration of a port for one of its
// services: the same port everywhere, and no two applications clash.
type Assignment struct {
	ID    int64  `json:"id"`
	Port  Port   `json:"port"`
	Proto Proto  `json:"protocol"`
	Name  string `json:"name"`
	Owner string `json:"owner,omitempty"` // team or person
	Note  string `json:"note,omitempty"`
	Hosts string `json:"hosts,omitempty"` // glob of hosts it applies to; empty: everywhere
	// Scope is ScopeLoopbackOnly for a service that must never be reached
	// from another host; the fleet reports it as drift when it is.
	Scope     string    `json:"scope,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// ScopeLoopbackOnly is the Scope of an assignment meant for loopback only.
const ScopeLoopbackOnly = "loopback"

// AssignmentFilter selects assignments; zero fields match everything.
type AssignmentFilter struct {
	Port  *Port
	Proto Proto
	Owner string
	Name  string
}

// AuditEntry records one change to the registry state: who, when, what.
type AuditEntry struct {
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`   // user or token name
	Action  string    `json:"action"`  // assign, unassign, lease, release, reclaim
	Subject string    `json:"subject"` // e.g. "5432/tcp"
	Detail  string    `json:"detail,omitempty"`
}

// AssignmentStore persists assignments and the audit log. A create or delete
// and its audit entry are one transaction; uniqueness of (port, protocol) is
// a constraint of the store, so two clients assigning the same port at the
// same instant see exactly one win.
type AssignmentStore interface {
	// CreateAssignment stores a, setting ID and Created; ECONFLICT when the
	// port and protocol are already assigned.
	CreateAssignment(ctx context.Context, a *Assignment) error
	// Assignments returns the assignments matching f, ordered by port and protocol.
	Assignments(ctx context.Context, f AssignmentFilter) ([]Assignment, error)
	// DeleteAssignment removes the assignment of port/proto by actor;
	// ENOTFOUND when there is none.
	DeleteAssignment(ctx context.Context, port Port, proto Proto, actor string) error
	// Audit returns the newest limit entries, newest first.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
}

// Store is everything portolan keeps: the leases and the assignments.
type Store interface {
	LeaseStore
	AssignmentStore
	Close() error
}
