package query

import (
	"context"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry"
)

// Result is everything portolan knows about one query; it is the --json
// document (schema in the README) and matches GET /v1/ports/{query}.
type Result struct {
	Query           string                `json:"query"`
	Ports           *portolan.Range       `json:"ports,omitempty"` // port and range queries
	Class           *ClassInfo            `json:"class,omitempty"` // the class of the first port
	RegistryUpdated string                `json:"registry_updated"`
	Records         []portolan.Service    `json:"records"`     // IANA's records
	CommonUses      []portolan.CommonUse  `json:"common_uses"` // curated de-facto uses, never IANA's
	Host            *HostFacts            `json:"host,omitempty"`
	Sockets         []portolan.Socket     `json:"sockets"`     // who listens here (when known)
	Leases          []portolan.Lease      `json:"leases"`      // portolan leases on the ports
	Assignments     []portolan.Assignment `json:"assignments"` // the organisation's own assignments
}

// ClassInfo is an RFC 6335 class with the names the world uses for it.
type ClassInfo struct {
	Class portolan.Class `json:"class"`
	Names []string       `json:"names"`
	Range portolan.Range `json:"range"`
}

// HostFacts are this host's ranges and where the queried ports fall.
type HostFacts struct {
	registry.HostRanges
	InEphemeral    bool `json:"in_ephemeral"`
	InReserved     bool `json:"in_reserved"`
	NeedsPrivilege bool `json:"needs_privilege"`
}

// Found reports whether the query matched anything beyond its class.
func (r *Result) Found() bool {
	return len(r.Records)+len(r.CommonUses)+len(r.Sockets)+len(r.Leases)+len(r.Assignments) > 0
}

// Lookup answers q from the registry, the host ranges and the optional
// sections in o.
func Lookup(ctx context.Context, o *Options, reg *registry.Registry, host *registry.HostRanges, q portolan.Query) (*Result, error) {
	res := &Result{
		Query: q.String(), RegistryUpdated: reg.Updated(),
		Records: []portolan.Service{}, CommonUses: []portolan.CommonUse{},
		Sockets: []portolan.Socket{}, Leases: []portolan.Lease{}, Assignments: []portolan.Assignment{},
	}
	var ports []portolan.Range // the ports the optional sections look at
	if q.IsName() {
		for _, s := range reg.ByName(q.Name) {
			if q.Proto.Matches(s.Proto) {
				res.Records = append(res.Records, s)
				if s.HasPort {
					ports = appendRange(ports, s.Ports)
				}
			}
		}
		for _, c := range registry.AllCommonUses() {
			if strings.EqualFold(c.Name, q.Name) && q.Proto.Matches(c.Proto) {
				res.CommonUses = append(res.CommonUses, c)
				ports = appendRange(ports, c.Ports)
			}
		}
	} else {
		r := q.Ports
		res.Ports = &r
		c := r.Lo.Class()
		res.Class = &ClassInfo{Class: c, Names: c.Names(), Range: c.Range()}
		seen := map[string]bool{}
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			for _, s := range reg.ByPort(portolan.Port(p), q.Proto) {
				k := s.Name + "/" + s.Proto.String() + "/" + s.Ports.String() + "/" + s.Status.String() + "/" + s.Description
				if !seen[k] {
					seen[k] = true
					res.Records = append(res.Records, s)
				}
			}
			for _, cu := range reg.CommonUses(portolan.Port(p)) {
				k := "common/" + cu.Name + "/" + cu.Ports.String()
				if !seen[k] && q.Proto.Matches(cu.Proto) {
					seen[k] = true
					res.CommonUses = append(res.CommonUses, cu)
				}
			}
		}
		if host != nil {
			h := &HostFacts{HostRanges: *host, InEphemeral: host.Ephemeral.Overlaps(r), NeedsPrivilege: r.Lo < host.UnprivilegedStart}
			for _, rr := range host.Reserved {
				h.InReserved = h.InReserved || rr.Overlaps(r)
			}
			res.Host = h
		}
		ports = []portolan.Range{r}
	}
	if err := o.addSections(ctx, res, ports, q.Proto); err != nil {
		return nil, err
	}
	return res, nil
}

func appendRange(rs []portolan.Range, r portolan.Range) []portolan.Range {
	for _, x := range rs {
		if x == r {
			return rs
		}
	}
	return append(rs, r)
}

// addSections calls the optional section functions for the ports.
func (o *Options) addSections(ctx context.Context, res *Result, ports []portolan.Range, proto portolan.Proto) error {
	for _, r := range ports {
		if o.Sockets != nil {
			s, err := o.Sockets(ctx, r, proto)
			if err != nil && portolan.ErrorCode(err) != portolan.EUNSUPPORTED {
				return err
			}
			res.Sockets = append(res.Sockets, s...)
		}
		if o.Assignments != nil {
			a, err := o.Assignments(ctx, r, proto)
			if err != nil {
				return err
			}
			res.Assignments = append(res.Assignments, a...)
		}
	}
	if o.Leases != nil && len(ports) > 0 {
		ls, err := o.Leases(ctx)
		if err != nil {
			return err
		}
		for _, l := range ls {
			for _, r := range ports {
				if r.Contains(l.Port) && proto.Matches(l.Proto) {
					res.Leases = append(res.Leases, l)
					break
				}
			}
		}
	}
	return nil
}
