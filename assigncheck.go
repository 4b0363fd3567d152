package portolan

import (
	"context"
	"fmt"
	"strings"
)

// Severity says what a Conflict does to an assignment.
type Severity uint8

// Conflict severities, from blocking to informational.
const (
	Refuse     Severity = iota // the assignment cannot be made (ECONFLICT), not even with force
	NeedsForce                 // made only when the caller insists (--force)
	Warn                       // made, with the reason shown
)

var severityNames = [...]string{"refuse", "force", "warn"}

// String returns "refuse", "force" or "warn".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "severity?"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if string(b) == n {
			*s = Severity(i)
			return nil
		}
	}
	return Errorf(EINVALID, "severity %q is not one of refuse, force, warn", b)
}

// Conflict kinds: why an assignment may clash.
const (
	ConflictAssigned  = "assigned"  // the organisation already assigned this port and protocol
	ConflictIANA      = "iana"      // IANA assigns the port to a different service
	ConflictEphemeral = "ephemeral" // the kernel hands the port out for outgoing connections
	ConflictSystem    = "system"    // binding the port needs privilege
)

// Conflict explains one way an assignment clashes with what already exists.
type Conflict struct {
	Kind     string   `json:"kind"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"` // one line a person can act on
}

// EphemeralRange is a range an operating system picks client ports from.
type EphemeralRange struct {
	Range  Range  `json:"range"`
	Source string `json:"source"` // who uses it: "Linux default", "this host", ...
}

// CommonEphemeral lists the ephemeral ranges of common hosts. An
// organisation's ports run on many hosts, so a port in any of them may fail
// to bind somewhere while an outgoing connection holds it.
var CommonEphemeral = []EphemeralRange{
	{Range{32768, 60999}, "Linux's default ephemeral range"},
	{Range{49152, 65535}, "the ephemeral range of macOS, the BSDs and Windows"},
}

// CheckInput is what CheckAssignment weighs an assignment against; callers
// fill it from the store, the IANA registry and the host.
type CheckInput struct {
	Existing          []Assignment     // the organisation's assignments on the port (any protocol)
	IANA              []Service        // IANA's records for the port and protocol
	Ephemeral         []EphemeralRange // this host's range first, then CommonEphemeral
	UnprivilegedStart Port             // this host's ip_unprivileged_port_start; 0 when unknown
}

// CheckAssignment returns every conflict of a with in, most severe first.
// It is pure so that the CLI, the server and tests agree on the rules; the
// store's unique constraint still decides races between two writers.
func CheckAssignment(a Assignment, in CheckInput) []Conflict {
	var cs []Conflict
	key := a.Port.String() + "/" + a.Proto.String()
	for _, e := range in.Existing {
		if e.Port == a.Port && e.Proto == a.Proto {
			by := ""
			if e.Owner != "" {
				by = " (owner " + e.Owner + ")"
			}
			cs = append(cs, Conflict{ConflictAssigned, Refuse,
				fmt.Sprintf("%s is already assigned to %s%s", key, e.Name, by)})
		}
	}
	var others []string
	same := false
	for _, s := range in.IANA {
		if s.Name == "" || !s.HasPort || !s.Ports.Contains(a.Port) || !s.Proto.Matches(a.Proto) {
			continue
		}
		if s.Status != Assigned && s.Status != Alias {
			continue
		}
		if strings.EqualFold(s.Name, a.Name) || strings.EqualFold(s.AliasOf, a.Name) {
			same = true
			break
		}
		if !containsFold(others, s.Name) {
			others = append(others, s.Name)
		}
	}
	if !same && len(others) > 0 {
		cs = append(cs, Conflict{ConflictIANA, NeedsForce,
			fmt.Sprintf("%s is assigned by IANA to %s, not %s: software built for it may expect this port (--force to assign anyway)",
				key, strings.Join(others, ", "), a.Name)})
	}
	seen := map[Range]bool{}
	for _, e := range in.Ephemeral {
		if seen[e.Range] || !e.Range.Contains(a.Port) {
			continue
		}
		seen[e.Range] = true
		cs = append(cs, Conflict{ConflictEphemeral, Warn,
			fmt.Sprintf("%s lies in %s %s: the kernel picks client ports there, so a server may fail to bind while an outgoing connection holds it",
				key, e.Source, e.Range)})
	}
	switch start := in.UnprivilegedStart; {
	case a.Port.Class() == System:
		cs = append(cs, Conflict{ConflictSystem, Warn,
			fmt.Sprintf("%s is a system port (0-1023): binding it needs root or CAP_NET_BIND_SERVICE where ip_unprivileged_port_start is the default 1024", key)})
	case a.Port < start:
		cs = append(cs, Conflict{ConflictSystem, Warn,
			fmt.Sprintf("%s is below this host's ip_unprivileged_port_start %d: binding it needs root or CAP_NET_BIND_SERVICE", key, start)})
	}
	return cs
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Blocking returns the first conflict that stops an assignment: a Refuse,
// or a NeedsForce when force is false.
func Blocking(cs []Conflict, force bool) (Conflict, bool) {
	for _, c := range cs {
		if c.Severity == Refuse || c.Severity == NeedsForce && !force {
			return c, true
		}
	}
	return Conflict{}, false
}

// AssignmentService registers the organisation's ports with conflict checks.
// The assign package implements it over an AssignmentStore; the HTTP client
// implements it over the API, so the CLI works locally and remotely alike.
type AssignmentService interface {
	// Assign checks a and stores it. It returns the conflicts found; when
	// one blocks (see Blocking) it stores nothing and fails with ECONFLICT.
	Assign(ctx context.Context, a *Assignment, force bool) ([]Conflict, error)
	// Assignments returns the assignments matching f, ordered by port and protocol.
	Assignments(ctx context.Context, f AssignmentFilter) ([]Assignment, error)
	// Unassign removes the assignment of port/proto; ENOTFOUND when there is none.
	Unassign(ctx context.Context, port Port, proto Proto, actor string) error
	// Audit returns the newest limit audit entries, newest first.
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)
}
