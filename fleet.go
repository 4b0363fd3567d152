package portolan

import (
	"context"
	"net/netip"
	"time"
)

// FleetHost is one host that reports its listeners to a server (an agent,
// or a serve reporting itself). Its id is stable across restarts and
// renames (the machine id); its state is worked out from when it last
// reported, against the interval it reports at.
type FleetHost struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Reporter is the token the host's first report came with: an agent
	// token reports for that one host only.
	Reporter  string        `json:"reporter,omitempty"`
	FirstSeen time.Time     `json:"first_seen"`
	LastSeen  time.Time     `json:"last_seen"`
	Interval  time.Duration `json:"interval_ns"` // how often it reports
	Seq       uint64        `json:"seq"`         // the last report applied
	State     HostState     `json:"state"`
	Listeners int           `json:"listeners"` // confirmed listeners
	Drift     int           `json:"drift"`     // active drift items
	// HistorySince is where the host's event history starts being whole:
	// events before it were folded (CompactFleetEvents) into the
	// listener-up events of the listeners still up then. Zero: whole.
	HistorySince time.Time `json:"history_since,omitzero"`
}

// ValidHostID reports whether id can name a fleet host: 1-128 letters,
// digits, '.', '_', ':' or '-', starting with a letter or digit (a machine id,
// a host name). Written out rather than as a regexp: the {0,127} repetition
// compiles to ~1,700 allocations that every start of the binary would pay.
func ValidHostID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// HostState is how current a host's report is.
type HostState string

// A host is fresh while it reports; stale after three missed intervals,
// gone after ten: its listeners stay on record, but nobody vouches for them.
const (
	HostFresh HostState = "fresh"
	HostStale HostState = "stale"
	HostGone  HostState = "gone"
)

// StateAt is h's state at now.
func (h FleetHost) StateAt(now time.Time) HostState {
	iv := max(h.Interval, 100*time.Millisecond)
	switch since := now.Sub(h.LastSeen); {
	case since > 10*iv:
		return HostGone
	case since > 3*iv:
		return HostStale
	}
	return HostFresh
}

// ListenerKey names a listener on a host: never the pid, which changes at
// every restart of the same program.
type ListenerKey struct {
	Proto Proto      `json:"protocol"`
	Addr  netip.Addr `json:"address"`
	Port  Port       `json:"port"`
}

// FleetListener is a listening socket a host reported, with the identity of
// the program behind it (its container, unit or executable) rather than
// its pid.
type FleetListener struct {
	HostID   string `json:"host_id,omitempty"`
	HostName string `json:"host_name,omitempty"` // in answers across hosts (where)
	ListenerKey
	// Program is the identity compared across reports: "container NAME",
	// "unit NAME.service" or the executable's path; "hidden" when /proc
	// hides the owner from the agent.
	Program   string    `json:"program"`
	Process   string    `json:"process,omitempty"` // comm, for people
	User      string    `json:"user,omitempty"`
	Reach     Reach     `json:"reach,omitempty"` // loopback, lan, all
	FirstSeen time.Time `json:"first_seen"`
	// LastSeen is when a report last changed the listener; the host's
	// LastSeen says when it last reported at all.
	LastSeen time.Time `json:"last_seen"`
	// Phase is the listener's place in the two-report rule: a change
	// counts only when two consecutive reports agree.
	Phase Phase `json:"-"`
}

// Phase is where a listener or a drift item stands in the two-report rule.
type Phase string

// The phases: New was in one report; Up is confirmed; Missing was absent
// from one report after being confirmed.
const (
	PhaseNew     Phase = "new"
	PhaseUp      Phase = "up"
	PhaseMissing Phase = "missing"
)

// Confirmed reports whether p counts: confirmed and not yet confirmed gone.
func (p Phase) Confirmed() bool { return p == PhaseUp || p == PhaseMissing }

// DriftKind is how a host differs from the plan (the assignments).
type DriftKind string

// The drift kinds.
const (
	// DriftUnregistered: a listener on a system or user port that no
	// assignment for this host covers.
	DriftUnregistered DriftKind = "unregistered"
	// DriftDown: an assignment for this host with nothing listening.
	DriftDown DriftKind = "down"
	// DriftForeign: an assigned port held by a program the assignment does
	// not name.
	DriftForeign DriftKind = "foreign"
	// DriftExposed: an assignment meant for loopback only, reachable
	// beyond it.
	DriftExposed DriftKind = "exposed"
)

// DriftKey names one drift item of a host.
type DriftKey struct {
	Kind  DriftKind `json:"kind"`
	Proto Proto     `json:"protocol"`
	Port  Port      `json:"port"`
}

// DriftItem is one difference between a host and the plan.
type DriftItem struct {
	HostID string `json:"host_id"`
	DriftKey
	Program    string    `json:"program,omitempty"`    // what listens, when something does
	Assignment string    `json:"assignment,omitempty"` // the assignment's name, when one applies
	Detail     string    `json:"detail"`
	Since      time.Time `json:"since"`
	Phase      Phase     `json:"-"`
}

// FleetEventKind says what changed.
type FleetEventKind string

// The events: listeners appearing and going away, drift found and
// cleared, hosts going stale or gone and coming back.
const (
	EventListenerUp   FleetEventKind = "listener-up"
	EventListenerDown FleetEventKind = "listener-down"
	EventDrift        FleetEventKind = "drift"
	EventDriftCleared FleetEventKind = "drift-cleared"
	EventHostNew      FleetEventKind = "host-new"
)

// FleetEvent is one change in the fleet, kept in the store beside the
// audit log. Fields are only ever added.
type FleetEvent struct {
	ID       int64          `json:"id"`
	Time     time.Time      `json:"time"`
	HostID   string         `json:"host_id"`
	HostName string         `json:"host_name,omitempty"`
	Kind     FleetEventKind `json:"kind"`
	Proto    Proto          `json:"protocol,omitempty"`
	Addr     netip.Addr     `json:"address,omitzero"`
	Port     Port           `json:"port,omitempty"`
	Program  string         `json:"program,omitempty"`
	Drift    DriftKind      `json:"drift,omitempty"`
	Detail   string         `json:"detail,omitempty"`
}

// FleetReport is what an agent sends: every listener (Full), or what was
// added and removed since the report the server last applied (Base). An
// empty delta is a heartbeat.
type FleetReport struct {
	HostID    string          `json:"host_id"`
	HostName  string          `json:"host_name"`
	Interval  time.Duration   `json:"interval_ns"`
	Seq       uint64          `json:"seq"`
	Base      uint64          `json:"base,omitempty"`
	Full      bool            `json:"full,omitempty"`
	Listeners []FleetListener `json:"listeners,omitempty"` // Full only
	Added     []FleetListener `json:"added,omitempty"`
	Removed   []ListenerKey   `json:"removed,omitempty"`
}

// ReportAck is the server's answer: the report applied (Seq is the new
// base), or a delta that does not follow the server's last report, which
// the agent answers with a full report.
type ReportAck struct {
	Seq    uint64 `json:"seq"`
	Resync bool   `json:"resync,omitempty"`
}

// HostRecord is what the store keeps of one host: the state the two-report
// rule runs on.
type HostRecord struct {
	Host      FleetHost
	Listeners map[ListenerKey]FleetListener
	Drift     map[DriftKey]DriftItem
}

// HostChange is what one report changes in a HostRecord, for the store to
// write in one transaction.
type HostChange struct {
	Host          FleetHost
	New           bool // the host was not known
	PutListeners  []FleetListener
	DropListeners []ListenerKey
	PutDrift      []DriftItem
	DropDrift     []DriftKey
	Events        []FleetEvent
}

// FleetStore keeps the fleet: hosts, their listeners and drift, and the
// events. UpdateHost runs fn on the host's record under a lock that
// serialises reports of one host across every server on the store, and
// writes what fn returns in the same transaction.
type FleetStore interface {
	UpdateHost(ctx context.Context, id string, fn func(rec HostRecord, known bool) (HostChange, error)) error
	FleetHosts(ctx context.Context) ([]FleetHost, error)
	HostListeners(ctx context.Context, id string) ([]FleetListener, error)
	// ListenersOn returns the confirmed listeners on port (proto ProtoAny:
	// every protocol) across the fleet.
	ListenersOn(ctx context.Context, port Port, proto Proto) ([]FleetListener, error)
	FleetDrift(ctx context.Context, hostID string) ([]DriftItem, error)
	// FleetEvents returns the events after id since, oldest first, at most
	// limit; of host hostID only, when it is not empty.
	FleetEvents(ctx context.Context, hostID string, since int64, limit int) ([]FleetEvent, error)
	// BindAgent ties the agent token named token to hostID, unless it is
	// tied already, and returns the host it is tied to: an agent token
	// reports for the host its first report named and no other, across
	// every server on the store. A host that another token reports for
	// ties nothing: the answer is then "".
	BindAgent(ctx context.Context, token, hostID string) (string, error)
	// CompactFleetEvents folds the events before before: of each listener
	// only its last event before then stays, and only when it is a
	// listener-up; the rest goes, and every host's HistorySince becomes
	// before. A history replayed to any time from before on is the same
	// as it was. It returns how many events went.
	CompactFleetEvents(ctx context.Context, before time.Time) (int64, error)
}
