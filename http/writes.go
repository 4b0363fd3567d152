package http

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// Duration is a lease TTL on the wire: a Go duration string ("90s", "10m")
// or a number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// maxTTL bounds a lease TTL: 1e9 seconds (about 31 years) is forever to
// a lease, and keeps the expiry far from time.Time's overflow.
const maxTTL = 1e9 * time.Second

// durationSyntax matches what time.ParseDuration reads, to tell a
// malformed TTL from one too long for it; compiled on the error path only.
var durationSyntax = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)
})

// UnmarshalJSON reads a duration string or a number of seconds; null is
// no TTL, as for the other fields.
func (d *Duration) UnmarshalJSON(b []byte) error {
	const form = `want e.g. "90s", "10m" or a number of seconds`
	if string(b) == "null" {
		return nil
	}
	var v time.Duration
	var s, shown string
	if err := json.Unmarshal(b, &s); err == nil {
		var perr error
		if v, perr = time.ParseDuration(s); perr != nil && durationSyntax().MatchString(s) {
			v = maxTTL + 1 // well formed, but beyond time.Duration's ~292 years
		} else if perr != nil {
			return portolan.Errorf(portolan.EINVALID, "ttl %s is not a duration: %s", quote(s), form)
		}
		shown = quote(s)
	} else {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return portolan.Errorf(portolan.EINVALID, "ttl %s is not a duration: %s", short(string(b)), form)
		}
		v, shown = time.Duration(min(n, 2e9)*float64(time.Second)), short(string(b))
	}
	switch {
	case v < 0:
		return portolan.Errorf(portolan.EINVALID, "ttl %s is negative: %s, or 0 for none", shown, form)
	case v > maxTTL:
		return portolan.Errorf(portolan.EINVALID, "ttl %s is over the maximum of 1e9 seconds (%s)", shown, maxTTL)
	}
	*d = Duration(v)
	return nil
}

// LeaseBody is the body of POST /v1/leases.
type LeaseBody struct {
	Count    *int     `json:"count,omitempty" want:"a whole number 1-1000"` // 1 when omitted (not when 0)
	Proto    string   `json:"protocol,omitempty" want:"one of tcp, udp, both, sctp, dccp"`
	Pool     string   `json:"pool,omitempty" want:"user (default), dynamic or LO-HI"`
	TTL      Duration `json:"ttl,omitempty"`
	PID      int      `json:"pid,omitempty" want:"a process id, or 0 for none"` // owner process on the server's host
	Label    string   `json:"label,omitempty"`
	Assigned bool     `json:"allow_assigned,omitempty"`
	Unsafe   bool     `json:"allow_unsafe,omitempty"` // allow ports browsers refuse or OS services hold
}

func (LeaseBody) example() string { return `{"count":1,"protocol":"tcp","ttl":"10m"}` }

// maxLeaseCount bounds one HTTP grant.
const maxLeaseCount = 1000

// request converts the body into the domain request, checking its fields.
func (b LeaseBody) request() (portolan.LeaseRequest, error) {
	req := portolan.LeaseRequest{Count: 1, Pool: b.Pool, TTL: time.Duration(b.TTL), PID: b.PID, Label: b.Label, Assigned: b.Assigned, Unsafe: b.Unsafe}
	if b.Count != nil {
		req.Count = *b.Count
	}
	if req.Count < 1 || req.Count > maxLeaseCount {
		return req, portolan.Errorf(portolan.EINVALID, "count %d is out of range: want 1-%d", req.Count, maxLeaseCount)
	}
	if b.Proto != "both" {
		p, err := portolan.ParseProto(b.Proto)
		if err != nil {
			return req, portolan.Errorf(portolan.EINVALID, "protocol %s is not one of tcp, udp, both, sctp, dccp", quote(b.Proto))
		}
		req.Proto = p
	}
	if b.PID < 0 {
		return req, portolan.Errorf(portolan.EINVALID, "pid %d is negative: want a process id or 0 for none", b.PID)
	}
	return req, nil
}

func (s *Server) leaseService() (portolan.LeaseService, error) {
	if s.leases == nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "this server does not grant leases")
	}
	return s.leases, nil
}

func (s *Server) getLeases(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.leaseService()
	if err != nil {
		return err
	}
	ls, err := svc.Leases(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ls))
	return nil
}

func (s *Server) postLeases(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.leaseService()
	if err != nil {
		return err
	}
	var body LeaseBody
	if err := decodeBody(w, r, s.cfg.MaxBody, &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	ls, err := svc.Grant(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, nonNil(ls))
	return nil
}

func (s *Server) deleteLease(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.leaseService()
	if err != nil {
		return err
	}
	p, err := parsePort(r.PathValue("port"))
	if err != nil {
		return err
	}
	if err := svc.Release(r.Context(), p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AssignBody is the body of POST /v1/assignments.
type AssignBody struct {
	Port  *portolan.Port `json:"port" want:"a port number 0-65535"`
	Proto portolan.Proto `json:"protocol" want:"one of tcp, udp, sctp, dccp"`
	Name  string         `json:"name"`
	Owner string         `json:"owner,omitempty"`
	Note  string         `json:"note,omitempty"`
	Hosts string         `json:"hosts,omitempty"`
	Scope string         `json:"scope,omitempty" want:"\"loopback\" or empty"`
	Force bool           `json:"force,omitempty"` // accept conflicts that need --force
}

func (AssignBody) example() string { return `{"port":5432,"protocol":"tcp","name":"billing-db"}` }

// AssignResult is the answer of a stored assignment: the assignment and the
// conflicts that warned (or were forced). A refused assignment answers 409
// with an ErrorBody whose Conflicts say why.
type AssignResult struct {
	Assignment portolan.Assignment `json:"assignment"`
	Conflicts  []portolan.Conflict `json:"conflicts"`
}

func (s *Server) assignments() (portolan.AssignmentService, error) {
	if s.cfg.Assignments == nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "this server keeps no assignments")
	}
	return s.cfg.Assignments, nil
}

func (s *Server) getAssignments(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.assignments()
	if err != nil {
		return err
	}
	f, err := assignmentFilter(r)
	if err != nil {
		return err
	}
	as, err := svc.Assignments(r.Context(), f)
	if err != nil {
		return err
	}
	withConflicts, err := boolParam(r, "conflicts")
	if err != nil {
		return err
	}
	if !withConflicts {
		writeJSON(w, http.StatusOK, nonNil(as))
		return nil
	}
	// ?conflicts=1: each assignment with what it clashes with (the page's list).
	ck, ok := svc.(interface {
		Conflicts(context.Context, portolan.Assignment) ([]portolan.Conflict, error)
	})
	if !ok {
		return portolan.Errorf(portolan.EUNSUPPORTED, "this server cannot check stored assignments for conflicts")
	}
	out := make([]AssignResult, 0, len(as))
	for _, a := range as {
		cs, err := ck.Conflicts(r.Context(), a)
		if err != nil {
			return err
		}
		out = append(out, AssignResult{a, nonNil(cs)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func assignmentFilter(r *http.Request) (portolan.AssignmentFilter, error) {
	q := r.URL.Query()
	f := portolan.AssignmentFilter{Owner: q.Get("owner"), Name: q.Get("name")}
	if v := q.Get("port"); v != "" {
		p, err := parsePort(v)
		if err != nil {
			return f, err
		}
		f.Port = &p
	}
	if v := q.Get("protocol"); v != "" {
		p, err := portolan.ParseProto(v)
		if err != nil {
			return f, portolan.Errorf(portolan.EINVALID, "protocol=%s is not one of tcp, udp, sctp, dccp", quote(v))
		}
		f.Proto = p
	}
	return f, nil
}

func (s *Server) postAssignment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.assignments()
	if err != nil {
		return err
	}
	var body AssignBody
	if err := decodeBody(w, r, s.cfg.MaxBody, &body); err != nil {
		return err
	}
	if body.Port == nil {
		return portolan.Errorf(portolan.EINVALID, `request body needs "port": want {"port":5432,"protocol":"tcp","name":"billing-db"}`)
	}
	a := portolan.Assignment{Port: *body.Port, Proto: body.Proto, Name: body.Name, Owner: body.Owner,
		Note: body.Note, Hosts: body.Hosts, Scope: body.Scope, CreatedBy: callerOf(r.Context()).actor()}
	cs, err := svc.Assign(r.Context(), &a, body.Force)
	for _, c := range cs {
		s.metrics.conflicts.WithLabelValues(c.Kind, c.Severity.String()).Inc()
	}
	if err != nil {
		return conflictError{err, cs}
	}
	s.metrics.assignOK.Inc()
	s.state.invalidate()
	if cs == nil {
		cs = []portolan.Conflict{}
	}
	writeJSON(w, http.StatusCreated, AssignResult{a, cs})
	return nil
}

func (s *Server) deleteAssignment(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.assignments()
	if err != nil {
		return err
	}
	p, err := parsePort(r.PathValue("port"))
	if err != nil {
		return err
	}
	proto, err := portolan.ParseProto(r.PathValue("proto"))
	if err != nil || proto == portolan.ProtoAny {
		return portolan.Errorf(portolan.EINVALID, "protocol %s in the path is not one of tcp, udp, sctp, dccp", quote(r.PathValue("proto")))
	}
	if err := svc.Unassign(r.Context(), p, proto, callerOf(r.Context()).actor()); err != nil {
		return err
	}
	s.state.invalidate()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.assignments()
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, 10000)
	if err != nil {
		return err
	}
	es, err := svc.Audit(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(es))
	return nil
}

// Health is the answer of GET /healthz.
type Health struct {
	Status string `json:"status"` // "ok" or "unavailable"
	Error  string `json:"error,omitempty"`
}

func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Health(ctx); err != nil {
			s.log.Warn("health check failed", "err", err)
			// The cause (a file path, a server address) is for the operator's
			// log, not for anonymous callers.
			writeJSON(w, http.StatusServiceUnavailable, Health{"unavailable", "the store cannot take writes (the server log says why)"})
			return nil
		}
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
