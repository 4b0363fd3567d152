package http

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// PortInfo is the answer of GET /v1/ports/{query}: everything about a port,
// a range or a service name.
type PortInfo struct {
	Query       string                `json:"query"`
	Ports       *portolan.Range       `json:"ports,omitempty"` // port and range queries
	Class       *ClassInfo            `json:"class,omitempty"` // the class of the first port
	Records     []portolan.Service    `json:"records"`
	CommonUses  []portolan.CommonUse  `json:"common_uses"`
	Host        *HostFacts            `json:"host,omitempty"`
	Sockets     []portolan.Socket     `json:"sockets"`
	Leases      []portolan.Lease      `json:"leases"`
	Assignments []portolan.Assignment `json:"assignments"`
}

// ClassInfo describes an RFC 6335 class.
type ClassInfo struct {
	Class portolan.Class `json:"class"`
	Names []string       `json:"names"`
	Range portolan.Range `json:"range"`
}

func classInfo(c portolan.Class) *ClassInfo {
	return &ClassInfo{c, c.Names(), c.Range()}
}

// HostFacts are this host's ranges and where the queried ports fall in them.
type HostFacts struct {
	HostInfo
	InEphemeral    bool `json:"in_ephemeral"`
	InReserved     bool `json:"in_reserved"`
	NeedsPrivilege bool `json:"needs_privilege"`
}

// maxRangeQuery bounds the ports a range query walks.
const maxRangeQuery = 4096

// getPort answers from a cache keyed by the query text and the state
// generation, so a hot port costs a map lookup and one write.
func (s *Server) getPort(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("query")
	if proto := r.PathValue("proto"); proto != "" {
		raw += "/" + proto
	}
	st := s.state.get(r.Context())
	if e, ok := s.ports.get(raw, st.gen); ok {
		e.write(w)
		return nil
	}
	info, err := s.portInfo(raw, st)
	if err != nil {
		return err
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	e := newCached(st.gen, b)
	s.ports.put(raw, e)
	e.write(w)
	return nil
}

// maxQueryLen bounds a port query: the longest valid one is a 63-character
// service name with "/sctp".
const maxQueryLen = 80

func (s *Server) portInfo(raw string, st *state) (*PortInfo, error) {
	if len(raw) > maxQueryLen {
		return nil, portolan.Errorf(portolan.EINVALID, "query %s is too long: want a port, a range LO-HI or a service name of 1-63 characters, optionally /PROTO", quote(raw))
	}
	q, err := portolan.ParseQuery(raw)
	if err != nil {
		return nil, err
	}
	info := &PortInfo{Query: q.String(), Records: []portolan.Service{}, CommonUses: []portolan.CommonUse{}}
	reg := s.cfg.Registry
	var r portolan.Range
	if q.IsName() {
		if reg != nil {
			for _, rec := range reg.ByName(q.Name) {
				if q.Proto.Matches(rec.Proto) {
					info.Records = append(info.Records, rec)
				}
			}
		}
		info.Sockets, info.Leases = []portolan.Socket{}, []portolan.Lease{}
		info.Assignments = []portolan.Assignment{}
		for _, a := range st.assignments {
			if strings.EqualFold(a.Name, q.Name) && q.Proto.Matches(a.Proto) {
				info.Assignments = append(info.Assignments, a)
			}
		}
		if len(info.Records) == 0 && len(info.Assignments) == 0 {
			return nil, portolan.Errorf(portolan.ENOTFOUND, "no service named %q in the IANA registry or the assignments", q.Name)
		}
		return info, nil
	}
	r = q.Ports
	if r.Len() > maxRangeQuery {
		return nil, portolan.Errorf(portolan.EINVALID, "range %s has %d ports: want at most %d per query", r, r.Len(), maxRangeQuery)
	}
	info.Ports, info.Class = &r, classInfo(r.Lo.Class())
	if reg != nil {
		seen := map[string]bool{}
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			for _, rec := range reg.ByPort(portolan.Port(p), q.Proto) {
				k := rec.Name + "/" + rec.Proto.String() + "/" + rec.Ports.String() + "/" + rec.Status.String()
				if r.IsSingle() || !seen[k] {
					seen[k] = true
					info.Records = append(info.Records, rec)
				}
			}
			for _, cu := range reg.CommonUses(portolan.Port(p)) {
				k := cu.Name + "/" + cu.Ports.String()
				if !seen[k] {
					seen[k] = true
					info.CommonUses = append(info.CommonUses, cu)
				}
			}
		}
	}
	h := s.cfg.Host
	facts := &HostFacts{HostInfo: h, InEphemeral: h.Ephemeral.Overlaps(r) && h.Ephemeral.Hi != 0}
	for _, rr := range h.Reserved {
		facts.InReserved = facts.InReserved || rr.Overlaps(r)
	}
	start := h.UnprivilegedStart
	if start == 0 && h.Defaults {
		start = 1024
	}
	facts.NeedsPrivilege = r.Lo < start
	info.Host = facts
	info.Sockets = in(st.listeners, r, sockPort)
	info.Leases = in(st.leases, r, leasePort)
	info.Assignments = in(st.assignments, r, assignPort)
	if q.Proto != portolan.ProtoAny {
		info.Sockets = filter(info.Sockets, func(x portolan.Socket) bool { return x.Proto == q.Proto })
		info.Assignments = filter(info.Assignments, func(x portolan.Assignment) bool { return x.Proto == q.Proto })
	}
	return info, nil
}

func filter[T any](xs []T, keep func(T) bool) []T {
	out := xs[:0:0]
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// SearchResult is the answer of GET /v1/search?q=.
type SearchResult struct {
	Results []portolan.Service `json:"results"`
}

func (s *Server) getSearch(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return portolan.Errorf(portolan.EINVALID, "search needs ?q= with 1-200 characters of words, a name or a port")
	}
	if len(q) > 200 {
		return portolan.Errorf(portolan.EINVALID, "q %s is too long: want 1-200 characters of words, a name or a port", quote(q))
	}
	limit, err := intParam(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	res := SearchResult{Results: []portolan.Service{}}
	// A number or range is answered by the records on those ports first:
	// people type "5432" into a search box as often as "postgres".
	pq, perr := portolan.ParseQuery(q)
	if perr == nil && !pq.IsName() && s.cfg.Registry != nil {
		res.Results = append(res.Results, s.cfg.Registry.ByPort(pq.Ports.Lo, pq.Proto)...)
	}
	switch {
	case s.cfg.Search != nil:
		res.Results = append(res.Results, s.cfg.Search(q, limit)...)
	case s.cfg.Registry != nil && perr == nil && pq.IsName():
		res.Results = append(res.Results, s.cfg.Registry.ByName(pq.Name)...)
	}
	if len(res.Results) > limit {
		res.Results = res.Results[:limit]
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, portolan.Errorf(portolan.EINVALID, "%s=%s is not a number %d-%d", name, quote(v), lo, hi)
	}
	return n, nil
}

// boolParam reads an optional flag parameter: 1/true or 0/false. Any
// other value is refused rather than taken as true, so ?conflicts=0 means no.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, portolan.Errorf(portolan.EINVALID, "%s=%s is not a flag: want 1 or 0", name, quote(v))
	}
	return b, nil
}

// parsePort parses a port from a path or query value, naming a long value
// by its start instead of echoing all of it.
func parsePort(v string) (portolan.Port, error) {
	if len(v) > 40 {
		return 0, portolan.Errorf(portolan.EINVALID, "port %s is not a port: want a number 0-65535", quote(v))
	}
	return portolan.ParsePort(v)
}

// checkParams refuses a query string that does not parse, parameters the
// route does not take (a typo such as ?prot=tcp would otherwise list
// everything) and parameters given twice (only the first would count).
func checkParams(r *http.Request, names []string) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return portolan.Errorf(portolan.EINVALID, "query string %s is malformed: want NAME=VALUE pairs joined by &, with %%XX escapes for ; %% & and spaces", quote(r.URL.RawQuery))
	}
	for k, vs := range q {
		switch {
		case !slices.Contains(names, k) && len(names) == 0:
			return portolan.Errorf(portolan.EINVALID, "query parameter %s is not known: %s %s takes none", quote(k), r.Method, r.Pattern[strings.IndexByte(r.Pattern, ' ')+1:])
		case !slices.Contains(names, k):
			return portolan.Errorf(portolan.EINVALID, "query parameter %s is not known: want %s", quote(k), strings.Join(names, ", "))
		case len(vs) > 1:
			return portolan.Errorf(portolan.EINVALID, "query parameter %q is given %d times: want it once", k, len(vs))
		}
	}
	return nil
}

// Ranges is the answer of GET /v1/ranges.
type Ranges struct {
	Classes         []ClassInfo               `json:"classes"`
	Host            HostInfo                  `json:"host"`
	CommonEphemeral []portolan.EphemeralRange `json:"common_ephemeral"`
	// Overlaps are the parts of this host's ephemeral range inside each
	// class: a User port there can fail to bind while a client holds it.
	Overlaps []Overlap `json:"overlaps"`
}

// Overlap is where the host's ephemeral range meets a class.
type Overlap struct {
	Class portolan.Class `json:"class"`
	Ports portolan.Range `json:"ports"`
}

func (s *Server) getRanges(w http.ResponseWriter, r *http.Request) error {
	out := Ranges{Host: s.cfg.Host, CommonEphemeral: portolan.CommonEphemeral, Overlaps: []Overlap{}}
	if out.Host.Reserved == nil {
		out.Host.Reserved = []portolan.Range{}
	}
	for _, c := range portolan.Classes {
		out.Classes = append(out.Classes, *classInfo(c))
		if s.cfg.Host.Ephemeral.Hi != 0 {
			if ov, ok := s.cfg.Host.Ephemeral.Intersect(c.Range()); ok {
				out.Overlaps = append(out.Overlaps, Overlap{c, ov})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getSockets(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Sockets == nil {
		return portolan.Errorf(portolan.EUNSUPPORTED, "this server does not list its host's sockets")
	}
	socks, err := s.cfg.Sockets(r.Context())
	if err != nil {
		return err
	}
	out := []portolan.Socket{}
	for _, sk := range socks {
		if sk.Listening() {
			out = append(out, sk)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// PortMap is the answer of GET /v1/map: the whole port space in a few
// kilobytes, for the web page's 256x256 grid (cell i is port i, row-major).
//
//   - Classes: the RFC 6335 classes as [lo, hi] runs with their names.
//   - IANA: base64 (standard, padded) of an 8,192-byte bitset; port p is
//     IANA-assigned on some protocol when byte p>>3 has bit p&7 set
//     (least significant bit first).
//   - Ephemeral, Reserved: this host's ranges as [lo, hi] pairs (inclusive);
//     CommonEphemeral adds the usual ranges of other systems.
//   - Listeners, Leases, Assignments: sorted, distinct port numbers that
//     have at least one listening socket here, live lease or organisation
//     assignment.
//
// Details of one port come from GET /v1/ports/{port}.
type PortMap struct {
	Size            int             `json:"size"`
	Classes         []ClassRun      `json:"classes"`
	IANA            string          `json:"iana"`
	Ephemeral       [][2]int        `json:"ephemeral"`
	Reserved        [][2]int        `json:"reserved"`
	CommonEphemeral []CommonRun     `json:"common_ephemeral"`
	Listeners       []portolan.Port `json:"listeners"`
	Leases          []portolan.Port `json:"leases"`
	Assignments     []portolan.Port `json:"assignments"`
	Generated       time.Time       `json:"generated"`
}

// ClassRun is one class's ports in the map.
type ClassRun struct {
	Class portolan.Class `json:"class"`
	Lo    int            `json:"lo"`
	Hi    int            `json:"hi"`
}

// CommonRun is an ephemeral range of other systems in the map.
type CommonRun struct {
	Lo     int    `json:"lo"`
	Hi     int    `json:"hi"`
	Source string `json:"source"`
}

// ianaBits computes the IANA bitset once: 65,536 lookups at first use.
func (s *Server) ianaBits() []byte {
	s.ianaOne.Do(func() {
		bits := make([]byte, 8192)
		if reg := s.cfg.Registry; reg != nil {
			for p := 0; p <= portolan.MaxPort; p++ {
				if reg.Assigned(portolan.Port(p), portolan.ProtoAny) {
					bits[p>>3] |= 1 << (p & 7)
				}
			}
		}
		s.iana = bits
	})
	return s.iana
}

func (s *Server) getMap(w http.ResponseWriter, r *http.Request) error {
	st := s.state.get(r.Context())
	if e, ok := s.mapc.get("", st.gen); ok {
		e.write(w)
		return nil
	}
	m := PortMap{Size: portolan.MaxPort + 1, IANA: base64.StdEncoding.EncodeToString(s.ianaBits()),
		Ephemeral: [][2]int{}, Reserved: [][2]int{}, Generated: st.at.UTC()}
	for _, c := range portolan.Classes {
		m.Classes = append(m.Classes, ClassRun{c, int(c.Range().Lo), int(c.Range().Hi)})
	}
	if h := s.cfg.Host.Ephemeral; h.Hi != 0 {
		m.Ephemeral = append(m.Ephemeral, [2]int{int(h.Lo), int(h.Hi)})
	}
	for _, rr := range s.cfg.Host.Reserved {
		m.Reserved = append(m.Reserved, [2]int{int(rr.Lo), int(rr.Hi)})
	}
	for _, e := range portolan.CommonEphemeral {
		m.CommonEphemeral = append(m.CommonEphemeral, CommonRun{int(e.Range.Lo), int(e.Range.Hi), e.Source})
	}
	m.Listeners = uniquePorts(st.listeners, sockPort)
	m.Leases = uniquePorts(st.leases, leasePort)
	m.Assignments = uniquePorts(st.assignments, assignPort)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	e := newCached(st.gen, b)
	s.mapc.put("", e)
	e.write(w)
	return nil
}
