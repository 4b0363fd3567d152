package http

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// The fleet's bounds: what one report may carry, so a host (or whoever
// holds its token) cannot make the server store without limit.
const (
	maxReportBody      = 4 << 20
	maxReportListeners = 20000
	maxEventsPage      = 1000
)

// reportBody is POST /v1/hosts/{id}/report's body: a portolan.FleetReport.
type reportBody struct{ portolan.FleetReport }

func (reportBody) example() string {
	return `{"host_id":"4c4c4544","host_name":"db-1","interval_ns":10000000000,"seq":1,"full":true,"listeners":[{"protocol":"tcp","address":"0.0.0.0","port":5432,"program":"/usr/lib/postgresql/15/bin/postgres"}]}`
}

// fleetRoutes adds the fleet's endpoints (none when the server keeps no fleet).
func (s *Server) fleetRoutes() {
	s.handle("POST /v1/hosts/{id}/report", "report", accessReport, s.postReport)
	s.handle("GET /v1/hosts", "hosts", accessRead, s.getHosts)
	s.handle("GET /v1/hosts/{id}/listeners", "host_listeners", accessRead, s.getHostListeners)
	s.handle("GET /v1/fleet/where/{query...}", "fleet_where", accessRead, s.getFleetWhere)
	s.handle("GET /v1/drift", "drift", accessRead, s.getDrift, "host")
	s.handle("GET /v1/events", "events", accessRead, s.getEvents, "since", "limit", "host")
}

// fleetCounts are the fleet's gauges: hosts by state, drift by kind.
func (s *Server) fleetCounts() (hosts, drift map[string]float64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hosts, drift = map[string]float64{}, map[string]float64{}
	hs, err := s.cfg.Fleet.FleetHosts(ctx)
	if err != nil {
		s.log.Error("fleet metrics", "err", err)
		return
	}
	now := time.Now()
	for _, h := range hs {
		hosts[string(h.StateAt(now))]++
	}
	d, err := s.cfg.Fleet.FleetDrift(ctx, "")
	if err != nil {
		s.log.Error("fleet metrics", "err", err)
		return
	}
	for _, di := range d {
		drift[string(di.Kind)]++
	}
	return hosts, drift
}

func (s *Server) fleet() (portolan.FleetStore, error) {
	if s.cfg.Fleet == nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "this server keeps no fleet")
	}
	return s.cfg.Fleet, nil
}

// postReport applies one agent report: the two-report rule and the drift
// against the assignments run in the store's transaction for this host.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !portolan.ValidHostID(id) {
		return portolan.Errorf(portolan.EINVALID, "host id %s is not valid: want 1-128 letters, digits, '.', '_', ':' or '-'", quote(id))
	}
	var b reportBody
	if err := decodeBody(w, r, max(s.cfg.MaxBody, maxReportBody), &b); err != nil {
		return err
	}
	rep := b.FleetReport
	if rep.HostID == "" {
		rep.HostID = id
	}
	if err := checkReport(id, rep); err != nil {
		return err
	}
	c := callerOf(r.Context())
	if c.token.role == RoleAgent {
		// One host a token: a host taken over cannot report for others,
		// nor fill the store with made-up hosts.
		bound, err := s.bindAgent(r.Context(), fs, c.token.name, id)
		if err != nil {
			return err
		}
		switch bound {
		case id:
		case "":
			return portolan.Errorf(portolan.EFORBIDDEN, "host %s reports with another token, not %s", quote(id), c.token.name)
		default:
			return portolan.Errorf(portolan.EFORBIDDEN, "agent token %s reports for host %s, not %s: give each host an agent token of its own (a line \"agent SECRET NAME\" in the token file)", c.token.name, quote(bound), quote(id))
		}
	}
	plan, err := s.plan(r.Context())
	if err != nil {
		return err
	}
	var ack portolan.ReportAck
	var events []portolan.FleetEvent
	spent := 0
	err = fs.UpdateHost(r.Context(), id, func(rec portolan.HostRecord, known bool) (portolan.HostChange, error) {
		if known && c.token.role == RoleAgent && rec.Host.Reporter != "" && rec.Host.Reporter != c.token.name {
			return portolan.HostChange{}, portolan.Errorf(portolan.EFORBIDDEN, "host %s reports with token %s, not %s", id, rec.Host.Reporter, c.token.name)
		}
		// Microseconds: what PostgreSQL keeps, so the events a webhook gets
		// and those /v1/events returns carry the same times.
		ch, a := portolan.ApplyReport(rec, known, rep, plan, time.Now().UTC().Truncate(time.Microsecond))
		if !known || ch.Host.Reporter == "" {
			ch.Host.Reporter = c.token.name
		}
		if c.token.role == RoleAgent {
			cost := rows(ch)
			if wait, ok := s.budget.take(c.token.name, cost); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				return portolan.HostChange{}, portolan.Errorf(ETOOMANY, "host %s changes faster than its token %s may write (%g rows a second, %d at once): try again in %ds", quote(id), c.token.name, s.budget.Rate, s.budget.Burst, secs)
			}
			spent = cost
		}
		ack, events = a, ch.Events
		return ch, nil
	})
	if err != nil {
		if spent > 0 {
			s.budget.refund(c.token.name, spent)
		}
		return err
	}
	if s.cfg.OnFleetEvents != nil && len(events) > 0 {
		s.cfg.OnFleetEvents(events)
	}
	writeJSON(w, http.StatusOK, ack)
	return nil
}

// bindAgent is fs.BindAgent, remembered: a tie never changes, so after the
// first report a token's reports cost the store nothing more.
func (s *Server) bindAgent(ctx context.Context, fs portolan.FleetStore, token, id string) (string, error) {
	if h, ok := s.agents.Load(token); ok {
		return h.(string), nil
	}
	h, err := fs.BindAgent(ctx, token, id)
	if err == nil && h != "" {
		s.agents.Store(token, h)
	}
	return h, err
}

// checkReport refuses a report that names another host or carries more
// than the server keeps.
func checkReport(id string, rep portolan.FleetReport) error {
	// Every verb prints the name: a tab would split piped rows, an escape reach a terminal.
	if err := portolan.CheckText("host_name", rep.HostName, 253); err != nil {
		return err
	}
	switch {
	case rep.HostID != id:
		return portolan.Errorf(portolan.EINVALID, "report names host %s at /v1/hosts/%s: want the same id", quote(rep.HostID), id)
	case len(rep.Listeners)+len(rep.Added)+len(rep.Removed) > maxReportListeners:
		return portolan.Errorf(portolan.EINVALID, "report carries %d listeners: want at most %d", len(rep.Listeners)+len(rep.Added)+len(rep.Removed), maxReportListeners)
	case rep.Full && (len(rep.Added) > 0 || len(rep.Removed) > 0):
		return portolan.Errorf(portolan.EINVALID, "a full report carries listeners, not added or removed")
	case !rep.Full && len(rep.Listeners) > 0:
		return portolan.Errorf(portolan.EINVALID, "a delta report carries added and removed, not listeners: set full")
	case rep.Interval < 0 || rep.Interval > 24*time.Hour:
		return portolan.Errorf(portolan.EINVALID, "interval_ns %d is out of range: want 0 to 24h", rep.Interval)
	}
	for _, l := range slices.Concat(rep.Listeners, rep.Added) {
		switch {
		case !l.Addr.IsValid() || l.Proto == portolan.ProtoAny:
			return portolan.Errorf(portolan.EINVALID, "listener %d has no address or protocol: want {\"protocol\":\"tcp\",\"address\":\"0.0.0.0\",\"port\":80,...}", l.Port)
		case len(l.Program) > 512 || len(l.Process) > 64 || len(l.User) > 64:
			return portolan.Errorf(portolan.EINVALID, "listener %d: program, process or user too long (512, 64, 64 bytes at most)", l.Port)
		case l.Reach != "" && l.Reach != portolan.ReachLoopback && l.Reach != portolan.ReachLAN && l.Reach != portolan.ReachAll:
			return portolan.Errorf(portolan.EINVALID, "listener %d: reach %s is not one of loopback, lan, all", l.Port, quote(string(l.Reach)))
		}
	}
	return nil
}

// planCache keeps the assignments for StateTTL (a second by default), as
// the other cached state: at a thousand hosts every ten seconds, a hundred
// reports a second would otherwise each read them all.
type planCache struct {
	mu   sync.Mutex
	at   time.Time
	plan []portolan.Assignment
}

func (s *Server) plan(ctx context.Context) ([]portolan.Assignment, error) {
	if s.cfg.Assignments == nil {
		return nil, nil
	}
	pc := &s.planc
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if time.Since(pc.at) < s.cfg.StateTTL {
		return pc.plan, nil
	}
	as, err := s.cfg.Assignments.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil {
		return nil, err
	}
	pc.plan, pc.at = as, time.Now()
	return as, nil
}

func (s *Server) getHosts(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	hs, err := fs.FleetHosts(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range hs {
		hs[i].State = hs[i].StateAt(now)
		if RoleOf(r.Context()) != RoleAdmin {
			hs[i].Reporter = ""
		}
	}
	writeJSON(w, http.StatusOK, nonNil(hs))
	return nil
}

func (s *Server) getHostListeners(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	ls, err := fs.HostListeners(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, redactListeners(ls, RoleOf(r.Context())))
	return nil
}

// FleetWhere is GET /v1/fleet/where/{query}: the ports the query names and
// every confirmed listener on them across the fleet.
type FleetWhere struct {
	Query     string                   `json:"query"`
	Ports     []portolan.Port          `json:"ports"`
	Listeners []portolan.FleetListener `json:"listeners"`
}

func (s *Server) getFleetWhere(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	q := r.PathValue("query")
	ports, proto, err := s.wherePorts(r.Context(), q)
	if err != nil {
		return err
	}
	out := FleetWhere{Query: q, Ports: ports, Listeners: []portolan.FleetListener{}}
	for _, p := range ports {
		ls, err := fs.ListenersOn(r.Context(), p, proto)
		if err != nil {
			return err
		}
		out.Listeners = append(out.Listeners, redactListeners(ls, RoleOf(r.Context()))...)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// wherePorts turns a query into ports: PORT, PORT/PROTO, an organisation's
// assignment name, or a registered service name.
func (s *Server) wherePorts(ctx context.Context, q string) ([]portolan.Port, portolan.Proto, error) {
	if len(q) > 64 || q == "" {
		return nil, 0, portolan.Errorf(portolan.EINVALID, "query %s: want PORT, PORT/PROTO or a service name", quote(q))
	}
	portText, protoText, _ := strings.Cut(q, "/")
	proto, err := portolan.ParseProto(protoText)
	if err != nil {
		return nil, 0, err
	}
	if p, err := portolan.ParsePort(portText); err == nil {
		return []portolan.Port{p}, proto, nil
	} else if portText != "" && portText[0] >= '0' && portText[0] <= '9' {
		return nil, 0, err
	}
	var ports []portolan.Port
	seen := map[portolan.Port]bool{}
	add := func(p portolan.Port) {
		if !seen[p] && len(ports) < 16 {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	if s.cfg.Assignments != nil {
		as, err := s.cfg.Assignments.Assignments(ctx, portolan.AssignmentFilter{Name: portText})
		if err != nil {
			return nil, 0, err
		}
		for _, a := range as {
			add(a.Port)
		}
	}
	if s.cfg.Registry != nil {
		for _, svc := range s.cfg.Registry.ByName(portText) {
			if !svc.HasPort {
				continue
			}
			for p := svc.Ports.Lo; p <= svc.Ports.Hi && p >= svc.Ports.Lo; p++ {
				add(p)
				if p == 65535 {
					break
				}
			}
		}
	}
	if len(ports) == 0 {
		return nil, 0, portolan.Errorf(portolan.ENOTFOUND, "%s names no port: want PORT, PORT/PROTO, an assignment or a service name", quote(q))
	}
	return ports, proto, nil
}

func (s *Server) getDrift(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	d, err := fs.FleetDrift(r.Context(), r.URL.Query().Get("host"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(d))
	return nil
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) error {
	fs, err := s.fleet()
	if err != nil {
		return err
	}
	since, err := intParam(r, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, maxEventsPage)
	if err != nil {
		return err
	}
	evs, err := fs.FleetEvents(r.Context(), r.URL.Query().Get("host"), int64(since), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(evs))
	return nil
}

// redactListeners: login names go to admins only, as on /v1/sockets.
func redactListeners(ls []portolan.FleetListener, role Role) []portolan.FleetListener {
	if ls == nil {
		return []portolan.FleetListener{}
	}
	if role != RoleAdmin {
		for i := range ls {
			ls[i].User = ""
		}
	}
	return ls
}
