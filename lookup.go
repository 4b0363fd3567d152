package portolan

import (
	"context"
	"slices"
	"strings"
)

// Knowledge is what a lookup reads from the registry of IANA records and
// curated common uses (the registry package's *Registry implements it).
type Knowledge interface {
	ByPort(p Port, proto Proto) []Service
	ByName(name string) []Service
	CommonUses(p Port) []CommonUse
	// CommonUsesNamed returns the common uses called name, in any case,
	// including the names people type for them ("postgres").
	CommonUsesNamed(name string) []CommonUse
	// Updated is the registry's release date, YYYY-MM-DD.
	Updated() string
}

// MaxQueryPorts bounds the ports one range query walks: an answer for
// 4,096 ports is already about a megabyte of records.
const MaxQueryPorts = 4096

// Lookup is the one lookup behind `portolan QUERY`, GET /v1/ports/{query}
// and the web page: everything known about a port, a range or a name. Its
// sources are functions so that each front end plugs in its own (the CLI
// reads this host once per process, the server from its snapshot); a nil
// source leaves its section empty.
type Lookup struct {
	Registry Knowledge   // nil: no records and no common uses
	Host     *HostRanges // nil: no host facts
	// Sockets returns the listening sockets on ports r; an EUNSUPPORTED
	// error leaves the section empty.
	Sockets func(ctx context.Context, r Range, proto Proto) ([]Socket, error)
	// Leases returns the live leases; the lookup keeps those on its ports.
	Leases func(ctx context.Context) ([]Lease, error)
	// Assignments returns all of the organisation's assignments; the lookup
	// keeps those on its ports or with the queried name.
	Assignments func(ctx context.Context) ([]Assignment, error)
	// Fleet returns the confirmed listeners on port p across the hosts
	// that report to a server; nil: no fleet section.
	Fleet func(ctx context.Context, p Port, proto Proto) ([]FleetListener, error)
}

// maxFleetPorts bounds the ports of one range the fleet section asks a
// server about.
const maxFleetPorts = 16

// Answer is everything portolan knows about one query: the --json document
// of `portolan QUERY` and the body of GET /v1/ports/{query} (schema in
// docs/know.md). Fields are only ever added.
type Answer struct {
	Query           string       `json:"query"`
	Ports           *Range       `json:"ports,omitempty"` // port and range queries
	Class           *ClassInfo   `json:"class,omitempty"` // the class of the first port
	RegistryUpdated string       `json:"registry_updated"`
	Records         []Service    `json:"records"`     // IANA's records
	CommonUses      []CommonUse  `json:"common_uses"` // curated de-facto uses, never IANA's
	Host            *HostFacts   `json:"host,omitempty"`
	Sockets         []Socket     `json:"sockets"`     // who listens here, when known
	Leases          []Lease      `json:"leases"`      // portolan leases on the ports
	Assignments     []Assignment `json:"assignments"` // the organisation's own assignments
	// Fleet is every host of a server's fleet that listens on the ports
	// (`portolan QUERY --server URL`).
	Fleet []FleetListener `json:"fleet,omitempty"`
	// Traps are the ports of a port or range query that bind but that
	// clients will not use (browsers refuse them, an OS service holds them).
	Traps []Trap `json:"traps,omitempty"`

	name string // the queried name, for NotFound
}

// Found reports whether the answer holds anything beyond the class and the
// host facts of its ports.
func (a *Answer) Found() bool {
	return len(a.Records)+len(a.CommonUses)+len(a.Sockets)+len(a.Leases)+len(a.Assignments) > 0
}

// NotFound is the error of a name query that matched nothing, and nil for
// every other answer: a port always has a class and host facts.
func (a *Answer) NotFound() error {
	if a.name == "" || a.Found() {
		return nil
	}
	return Errorf(ENOTFOUND, "no service named %q in IANA's registry (%s), the common uses or the assignments", a.name, a.RegistryUpdated)
}

// ParseQueries parses what a user types as one query: a query, or a comma
// list of them ("80,443,https"), each optionally written ":8080" as in a
// listen address. The list form is the one `scan -p` reads.
func ParseQueries(s string) ([]Query, error) {
	return AppendQueries(nil, s)
}

// AppendQueries is ParseQueries appending to qs, so a batch reuses one slice.
func AppendQueries(qs []Query, s string) ([]Query, error) {
	if !strings.Contains(s, ",") {
		q, err := ParseQuery(strings.TrimPrefix(s, ":"))
		if err != nil {
			return nil, err
		}
		return append(qs, q), nil
	}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return nil, Errorf(EINVALID, "query list %q has an empty item: want items separated by single commas, e.g. 80,443,https", s)
		}
		q, err := ParseQuery(strings.TrimPrefix(item, ":"))
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	return qs, nil
}

// Bounded refuses a range query over more than MaxQueryPorts ports.
func (q Query) Bounded() error {
	if !q.IsName() && q.Ports.Len() > MaxQueryPorts {
		return Errorf(EINVALID, "range %s has %d ports: want at most %d per query (split it, e.g. %s-%d)", q.Ports, q.Ports.Len(), MaxQueryPorts, q.Ports.Lo, int(q.Ports.Lo)+MaxQueryPorts-1)
	}
	return nil
}

// Answer answers q.
func (l *Lookup) Answer(ctx context.Context, q Query) (*Answer, error) {
	a := &Answer{
		Query: q.String(), Records: []Service{}, CommonUses: []CommonUse{},
		Sockets: []Socket{}, Leases: []Lease{}, Assignments: []Assignment{},
	}
	if l.Registry != nil {
		a.RegistryUpdated = l.Registry.Updated()
	}
	var ports []Range // the ports the host sections look at
	if q.IsName() {
		a.name = q.Name
		ports = l.names(a, q)
	} else {
		if err := q.Bounded(); err != nil {
			return nil, err
		}
		r := q.Ports
		a.Ports = &r
		c := r.Lo.Class().Info()
		a.Class = &c
		l.ports(a, q)
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			a.Traps = append(a.Traps, TrapsOf(Port(p))...)
		}
		if l.Host != nil {
			a.Host = l.Host.Facts(r)
		}
		ports = []Range{r}
	}
	if err := l.sections(ctx, a, q, ports); err != nil {
		return nil, err
	}
	return a, nil
}

// names fills a name query's records and common uses and returns their ports.
func (l *Lookup) names(a *Answer, q Query) []Range {
	var ports []Range
	if l.Registry == nil {
		return nil
	}
	for _, s := range l.Registry.ByName(q.Name) {
		if q.Proto.Matches(s.Proto) {
			a.Records = append(a.Records, s)
			if s.HasPort {
				ports = appendRange(ports, s.Ports)
			}
		}
	}
	for _, c := range l.Registry.CommonUsesNamed(q.Name) {
		if q.Proto.Matches(c.Proto) {
			a.CommonUses = append(a.CommonUses, c)
			ports = appendRange(ports, c.Ports)
		}
	}
	return ports
}

// ports fills a port or range query's records and common uses, each once.
// A single port's few records are compared in place; a range's through sets.
func (l *Lookup) ports(a *Answer, q Query) {
	if l.Registry == nil {
		return
	}
	if q.Ports.IsSingle() {
		for _, s := range l.Registry.ByPort(q.Ports.Lo, q.Proto) {
			k := recKeyOf(s)
			if !slices.ContainsFunc(a.Records, func(x Service) bool { return recKeyOf(x) == k }) {
				a.Records = append(a.Records, s)
			}
		}
		for _, c := range l.Registry.CommonUses(q.Ports.Lo) {
			k := useKey{c.Name, c.Ports}
			if q.Proto.Matches(c.Proto) && !slices.ContainsFunc(a.CommonUses, func(x CommonUse) bool { return useKey{x.Name, x.Ports} == k }) {
				a.CommonUses = append(a.CommonUses, c)
			}
		}
		return
	}
	seenRec, seenUse := map[recKey]bool{}, map[useKey]bool{}
	for p := int(q.Ports.Lo); p <= int(q.Ports.Hi); p++ {
		for _, s := range l.Registry.ByPort(Port(p), q.Proto) {
			k := recKeyOf(s)
			if !seenRec[k] {
				seenRec[k] = true
				a.Records = append(a.Records, s)
			}
		}
		for _, c := range l.Registry.CommonUses(Port(p)) {
			k := useKey{c.Name, c.Ports}
			if !seenUse[k] && q.Proto.Matches(c.Proto) {
				seenUse[k] = true
				a.CommonUses = append(a.CommonUses, c)
			}
		}
	}
}

// recKey tells records apart: a range query meets a record once per port
// it covers (x11 on 6000-6063), and shows it once.
type recKey struct {
	name, desc string
	proto      Proto
	ports      Range
	status     Status
}

func recKeyOf(s Service) recKey { return recKey{s.Name, s.Description, s.Proto, s.Ports, s.Status} }

type useKey struct {
	name  string
	ports Range
}

func appendRange(rs []Range, r Range) []Range {
	for _, x := range rs {
		if x == r {
			return rs
		}
	}
	return append(rs, r)
}

// sections adds who holds the ports here: sockets, leases and assignments
// (for a name query also the assignments with that name, and what holds
// their ports).
func (l *Lookup) sections(ctx context.Context, a *Answer, q Query, ports []Range) error {
	if l.Assignments != nil {
		all, err := l.Assignments(ctx)
		if err != nil {
			return err
		}
		if q.IsName() {
			for _, x := range all {
				if strings.EqualFold(x.Name, q.Name) && q.Proto.Matches(x.Proto) {
					ports = appendRange(ports, SinglePort(x.Port))
				}
			}
		}
		for _, x := range all {
			if q.Proto.Matches(x.Proto) && inAny(ports, x.Port) {
				a.Assignments = append(a.Assignments, x)
			}
		}
	}
	if l.Sockets != nil {
		for _, r := range ports {
			s, err := l.Sockets(ctx, r, q.Proto)
			if err != nil && ErrorCode(err) != EUNSUPPORTED {
				return err
			}
			for _, x := range s {
				if !slices.ContainsFunc(a.Sockets, x.Same) {
					a.Sockets = append(a.Sockets, x)
				}
			}
		}
	}
	if l.Fleet != nil {
		// Port by port, so a wide range does not become thousands of calls.
		for _, r := range ports {
			if r.Hi-r.Lo >= maxFleetPorts {
				continue
			}
			for p := r.Lo; p <= r.Hi; p++ {
				fl, err := l.Fleet(ctx, p, q.Proto)
				if err != nil {
					return err
				}
				a.Fleet = append(a.Fleet, fl...)
				if p == MaxPort {
					break
				}
			}
		}
	}
	if l.Leases != nil && len(ports) > 0 {
		ls, err := l.Leases(ctx)
		if err != nil {
			return err
		}
		for _, x := range ls {
			if q.Proto.Matches(x.Proto) && inAny(ports, x.Port) {
				a.Leases = append(a.Leases, x)
			}
		}
	}
	return nil
}

func inAny(rs []Range, p Port) bool {
	for _, r := range rs {
		if r.Contains(p) {
			return true
		}
	}
	return false
}
