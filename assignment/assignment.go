// Package assignment is the organisation's port registry: it checks a new
// assignment against the existing ones, IANA and the host ranges
// (portolan.CheckAssignment), then stores it. The store's unique constraint,
// not this package, decides a race between two writers, so several servers
// over one database stay consistent.
//
// It depends on the root package only: the registry lookups arrive as a
// function so that the CLI and the server wire whichever registry they hold.
package assignment

import (
	"context"
	"path"

	"github.com/portolan-dev/portolan"
)

// Service implements portolan.AssignmentService over an AssignmentStore.
type Service struct {
	Store portolan.AssignmentStore
	// IANA returns IANA's records for a port and protocol; nil means none known.
	IANA func(p portolan.Port, proto portolan.Proto) []portolan.Service
	// Ephemeral lists this host's ephemeral range first, then the common ones.
	Ephemeral []portolan.EphemeralRange
	// UnprivilegedStart is this host's ip_unprivileged_port_start (0: unknown).
	UnprivilegedStart portolan.Port
	// OnConflict, when set, sees every conflict found (the server counts them).
	OnConflict func(portolan.Conflict)
}

var _ portolan.AssignmentService = (*Service)(nil)

// New returns a Service over store that weighs assignments against iana
// (a registry's ByPort), this host's ephemeral range (skipped when its Hi
// is 0) followed by portolan.CommonEphemeral, and this host's
// ip_unprivileged_port_start.
func New(store portolan.AssignmentStore, iana func(portolan.Port, portolan.Proto) []portolan.Service,
	hostEphemeral portolan.Range, unprivilegedStart portolan.Port) *Service {
	var eph []portolan.EphemeralRange
	if hostEphemeral.Hi != 0 {
		eph = append(eph, portolan.EphemeralRange{Range: hostEphemeral, Source: "this host's ephemeral range"})
	}
	return &Service{Store: store, IANA: iana, Ephemeral: append(eph, portolan.CommonEphemeral...), UnprivilegedStart: unprivilegedStart}
}

// Limits on the free-text fields, so one request cannot bloat the registry.
const (
	maxName  = 63
	maxOwner = 128
	maxNote  = 1024
	maxHosts = 256
)

// Validate checks the fields a person types: a concrete protocol, a name
// that fits /etc/services, bounded text, and a well-formed hosts glob.
func Validate(a *portolan.Assignment) error {
	if a.Proto == portolan.ProtoAny {
		return portolan.Errorf(portolan.EINVALID, "assignment of port %d needs a protocol: want PORT/PROTO, e.g. %d/tcp", a.Port, a.Port)
	}
	if a.Port == 0 {
		return portolan.Errorf(portolan.EINVALID, "port 0 cannot be assigned: it is reserved (bind(0) means \"kernel, choose\"); want 1-65535")
	}
	if err := ValidName(a.Name); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"owner", a.Owner, maxOwner}, {"note", a.Note, maxNote}, {"hosts glob", a.Hosts, maxHosts}} {
		if err := portolan.CheckText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if _, err := path.Match(a.Hosts, ""); err != nil {
		return portolan.Errorf(portolan.EINVALID, "hosts glob %q is malformed: want a shell pattern such as db-*.example.com", a.Hosts)
	}
	if a.Scope != "" && a.Scope != portolan.ScopeLoopbackOnly {
		return portolan.Errorf(portolan.EINVALID, "scope %q is not valid: want \"loopback\" or none", a.Scope)
	}
	return nil
}

// ValidName accepts what /etc/services and DNS-SD can carry: 1-63 letters,
// digits and hyphens, at least one letter, no hyphen at either end or
// twice in a row (RFC 6335 section 5.1, without its 15-character limit).
func ValidName(s string) error {
	bad := len(s) == 0 || len(s) > maxName || s[0] == '-' || s[len(s)-1] == '-'
	letter := false
	for i := 0; i < len(s) && !bad; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		case c == '-':
			bad = i > 0 && s[i-1] == '-'
		default:
			bad = true
		}
	}
	if bad || !letter {
		return portolan.Errorf(portolan.EINVALID, "service name %q is not valid: want 1-63 letters, digits and single hyphens with at least one letter, e.g. billing-db", s)
	}
	return nil
}

// Check returns the conflicts a would meet, without storing anything.
func (s *Service) Check(ctx context.Context, a portolan.Assignment) ([]portolan.Conflict, error) {
	p := a.Port
	existing, err := s.Store.Assignments(ctx, portolan.AssignmentFilter{Port: &p})
	if err != nil {
		return nil, err
	}
	return s.check(a, existing), nil
}

// Conflicts returns what an assignment already stored clashes with, other
// than itself: the warnings a listing shows next to it.
func (s *Service) Conflicts(ctx context.Context, a portolan.Assignment) ([]portolan.Conflict, error) {
	p := a.Port
	existing, err := s.Store.Assignments(ctx, portolan.AssignmentFilter{Port: &p})
	if err != nil {
		return nil, err
	}
	others := existing[:0:0]
	for _, e := range existing {
		if e.ID != a.ID {
			others = append(others, e)
		}
	}
	return s.check(a, others), nil
}

func (s *Service) check(a portolan.Assignment, existing []portolan.Assignment) []portolan.Conflict {
	in := portolan.CheckInput{Existing: existing, Ephemeral: s.Ephemeral, UnprivilegedStart: s.UnprivilegedStart}
	if s.IANA != nil {
		in.IANA = s.IANA(a.Port, a.Proto)
	}
	return portolan.CheckAssignment(a, in)
}

// Assign validates and checks a, then stores it unless a conflict blocks it.
// A writer that loses a race to the store's unique constraint gets the same
// "already assigned" conflict as one that came second.
func (s *Service) Assign(ctx context.Context, a *portolan.Assignment, force bool) ([]portolan.Conflict, error) {
	if err := Validate(a); err != nil {
		return nil, err
	}
	cs, err := s.Check(ctx, *a)
	if err != nil {
		return nil, err
	}
	if c, ok := portolan.Blocking(cs, force); ok {
		s.report(cs)
		return cs, portolan.Errorf(portolan.ECONFLICT, "%s", c.Message)
	}
	if err := s.Store.CreateAssignment(ctx, a); err != nil {
		if portolan.ErrorCode(err) != portolan.ECONFLICT {
			return cs, err
		}
		// Lost the race: explain it with the winner's details when we can.
		if again, cerr := s.Check(ctx, *a); cerr == nil {
			if c, ok := portolan.Blocking(again, true); ok {
				s.report(again)
				return again, portolan.Errorf(portolan.ECONFLICT, "%s", c.Message)
			}
		}
		cs = append(cs, portolan.Conflict{Kind: portolan.ConflictAssigned, Severity: portolan.Refuse, Message: portolan.ErrorMessage(err)})
		s.report(cs)
		return cs, err
	}
	s.report(cs)
	return cs, nil
}

func (s *Service) report(cs []portolan.Conflict) {
	if s.OnConflict == nil {
		return
	}
	for _, c := range cs {
		s.OnConflict(c)
	}
}

// Assignments lists the stored assignments matching f.
func (s *Service) Assignments(ctx context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	return s.Store.Assignments(ctx, f)
}

// Unassign removes the assignment of port/proto, recording actor in the audit log.
func (s *Service) Unassign(ctx context.Context, port portolan.Port, proto portolan.Proto, actor string) error {
	if proto == portolan.ProtoAny {
		return portolan.Errorf(portolan.EINVALID, "unassign of port %d needs a protocol: want PORT/PROTO, e.g. %d/tcp", port, port)
	}
	return s.Store.DeleteAssignment(ctx, port, proto, actor)
}

// Audit returns the newest limit audit entries.
func (s *Service) Audit(ctx context.Context, limit int) ([]portolan.AuditEntry, error) {
	return s.Store.Audit(ctx, limit)
}
