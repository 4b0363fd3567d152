package http

import (
	"context"
	"encoding/json"
	"net/http"
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

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			return portolan.Errorf(portolan.EINVALID, "ttl %q is not a duration: want e.g. \"90s\", \"10m\" or a number of seconds", s)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 || n > 1e9 {
		return portolan.Errorf(portolan.EINVALID, "ttl %s is not a duration: want e.g. \"90s\", \"10m\" or a number of seconds", b)
	}
	*d = Duration(n * float64(time.Second))
	return nil
}

// LeaseBody is the body of POST /v1/leases.
type LeaseBody struct {
	Count    int      `json:"count,omitempty"`    // 1 when omitted
	Proto    string   `json:"protocol,omitempty"` // tcp, udp, both (default: both), sctp, dccp
	Pool     string   `json:"pool,omitempty"`     // user (default), dynamic or LO-HI
	TTL      Duration `json:"ttl,omitempty"`
	PID      int      `json:"pid,omitempty"` // owner process on the server's host
	Label    string   `json:"label,omitempty"`
	Assigned bool     `json:"allow_assigned,omitempty"`
}

// maxLeaseCount bounds one HTTP grant.
const maxLeaseCount = 1000

// request converts the body into the domain request, checking its fields.
func (b LeaseBody) request() (portolan.LeaseRequest, error) {
	req := portolan.LeaseRequest{Count: b.Count, Pool: b.Pool, TTL: time.Duration(b.TTL), PID: b.PID, Label: b.Label, Assigned: b.Assigned}
	if req.Count == 0 {
		req.Count = 1
	}
	if req.Count < 0 || req.Count > maxLeaseCount {
		return req, portolan.Errorf(portolan.EINVALID, "count %d is out of range: want 1-%d", b.Count, maxLeaseCount)
	}
	if b.Proto != "both" {
		p, err := portolan.ParseProto(b.Proto)
		if err != nil {
			return req, portolan.Errorf(portolan.EINVALID, "protocol %q is not one of tcp, udp, both, sctp, dccp", b.Proto)
		}
		req.Proto = p
	}
	if b.PID < 0 {
		return req, portolan.Errorf(portolan.EINVALID, "pid %d is negative: want a process id or 0 for none", b.PID)
	}
	if len(b.Label) > 256 {
		return req, portolan.Errorf(portolan.EINVALID, "label is %d bytes long: want at most 256", len(b.Label))
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
	p, err := portolan.ParsePort(r.PathValue("port"))
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
	Port  *portolan.Port `json:"port"`
	Proto portolan.Proto `json:"protocol"`
	Name  string         `json:"name"`
	Owner string         `json:"owner,omitempty"`
	Note  string         `json:"note,omitempty"`
	Hosts string         `json:"hosts,omitempty"`
	Force bool           `json:"force,omitempty"` // accept conflicts that need --force
}

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
	if r.URL.Query().Get("conflicts") == "" {
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
		p, err := portolan.ParsePort(v)
		if err != nil {
			return f, err
		}
		f.Port = &p
	}
	if v := q.Get("protocol"); v != "" {
		p, err := portolan.ParseProto(v)
		if err != nil {
			return f, err
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
		Note: body.Note, Hosts: body.Hosts, CreatedBy: callerOf(r.Context()).actor()}
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
	p, err := portolan.ParsePort(r.PathValue("port"))
	if err != nil {
		return err
	}
	proto, err := portolan.ParseProto(r.PathValue("proto"))
	if err != nil || proto == portolan.ProtoAny {
		return portolan.Errorf(portolan.EINVALID, "protocol %q in the path is not one of tcp, udp, sctp, dccp", r.PathValue("proto"))
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
			writeJSON(w, http.StatusServiceUnavailable, Health{"unavailable", "the store does not answer"})
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
