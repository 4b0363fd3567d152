package portolan

import (
	"context"
	"encoding/json"
	"time"
)

// Lease holds a port for a process (or until a TTL) so that no other client
// of the allocator is given it. A lease reserves the port number for every
// protocol; Proto records what the holder asked to be free.
type Lease struct {
	// ID and Created are the store's; a lease known only by its port (one
	// a portserver answered) has neither, and its JSON leaves them out.
	ID    int64 `json:"id,omitempty"`
	Port  Port  `json:"port"`
	Proto Proto `json:"protocol"` // ProtoAny: checked free on both TCP and UDP
	// Owner identifies the holding process as PID plus start ticks, so a
	// dead or reused PID frees the port. PID 0 means no owner: TTL or
	// explicit release only.
	PID      int       `json:"pid,omitempty"`
	PIDStart uint64    `json:"pid_start,omitempty"`
	Label    string    `json:"label,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	Expires  time.Time `json:"expires,omitzero"` // zero: no TTL
	Host     string    `json:"host,omitempty"`   // the host name, for people
	// HostID is the machine the lease is for (its machine-id and its pid and
	// network namespaces): a port is leased once per host, and only that
	// host may judge whether the owner PID still runs.
	HostID    string `json:"host_id,omitempty"`
	CreatedBy string `json:"created_by,omitempty"` // "uid N" for a local peer
}

// leaseJSON is Lease on the wire: protocol is "both" for ProtoAny, the word
// a request uses, rather than an empty string.
type leaseJSON struct {
	plainLease
	Proto string `json:"protocol"`
}

type plainLease Lease // Lease without its JSON methods

// MarshalJSON writes protocol as "tcp", "udp" or "both".
func (l Lease) MarshalJSON() ([]byte, error) {
	p := l.Proto.String()
	if l.Proto == ProtoAny {
		p = "both"
	}
	return json.Marshal(leaseJSON{plainLease(l), p})
}

// UnmarshalJSON reads what MarshalJSON writes; "" also means both.
func (l *Lease) UnmarshalJSON(b []byte) error {
	var v leaseJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Lease(v.plainLease)
	if v.Proto == "both" {
		v.Proto = ""
	}
	return l.Proto.UnmarshalText([]byte(v.Proto))
}

// Expired reports whether l's TTL has passed at now.
func (l Lease) Expired(now time.Time) bool { return !l.Expires.IsZero() && !now.Before(l.Expires) }

// LeaseStore persists leases. Implementations make every grant durable
// before returning and enforce "one lease per port and host" with a unique
// constraint, not an in-process lock, so that several servers can share one
// store.
type LeaseStore interface {
	// InsertLeases stores ls in one transaction, setting ID and Created.
	// It fails whole with ECONFLICT when any port is already leased on the
	// lease's HostID.
	InsertLeases(ctx context.Context, ls []*Lease) error
	// Leases returns every stored lease of every host, ordered by port.
	Leases(ctx context.Context) ([]Lease, error)
	// DeleteLease removes the lease on port of hostID; ENOTFOUND when there
	// is none.
	DeleteLease(ctx context.Context, hostID string, port Port) error
	// DeleteLeases removes the leases with the given IDs (reclaimed or
	// expired) and returns how many it removed.
	DeleteLeases(ctx context.Context, ids []int64) (int, error)
}

// MaxLabel bounds a lease's label, free text shown in listings.
const MaxLabel = 256

// LeaseRequest asks the allocator for ports.
type LeaseRequest struct {
	Count    int           `json:"count"`                    // how many distinct ports; 0 means 1
	Proto    Proto         `json:"protocol"`                 // ProtoAny: free on both TCP and UDP
	Pool     string        `json:"pool,omitempty"`           // "user" (default), "dynamic" or "LO-HI"
	TTL      time.Duration `json:"ttl,omitempty"`            // 0: until released or the owner dies
	PID      int           `json:"pid,omitempty"`            // owner process; 0 for none
	Label    string        `json:"label,omitempty"`          // free text shown in listings
	Assigned bool          `json:"allow_assigned,omitempty"` // allow IANA-assigned ports
	// Unsafe allows traps (TrapsOf): ports browsers refuse, ports an OS
	// service usually holds.
	Unsafe bool `json:"allow_unsafe,omitempty"`
	// Peer is the local process that asks, as the kernel names it (the
	// portserver's SO_PEERCRED); nil when the transport cannot tell. A
	// peer may name only a process it could signal, and its user's live
	// leases are bounded.
	Peer *Peer `json:"-"`
}

// Peer is a local process at the other end of a Unix socket.
type Peer struct {
	UID uint32
	PID int
}

// ReservationStore records the ports an allocator added to a host's
// ip_local_reserved_ports, so that after a crash the next start removes
// the ones no lease needs any more instead of leaking them forever.
type ReservationStore interface {
	// Reservations returns the ports recorded for hostID, ascending.
	Reservations(ctx context.Context, hostID string) ([]Port, error)
	// AddReservations records ports for hostID; ports already recorded stay.
	AddReservations(ctx context.Context, hostID string, ports []Port) error
	// DeleteReservations forgets ports for hostID.
	DeleteReservations(ctx context.Context, hostID string, ports []Port) error
}

// LeaseService grants and releases leases. The lease package implements it
// over a LeaseStore; the HTTP client implements it over the API, so the CLI
// works the same against a local store or a remote server.
type LeaseService interface {
	// Grant leases req.Count distinct free ports, all or none; ECONFLICT
	// "pool exhausted" when the pool has too few.
	Grant(ctx context.Context, req LeaseRequest) ([]Lease, error)
	// Release ends the lease on port; ENOTFOUND when there is none.
	Release(ctx context.Context, port Port) error
	// Leases lists the live leases.
	Leases(ctx context.Context) ([]Lease, error)
}
