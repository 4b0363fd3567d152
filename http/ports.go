package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// PortInfo is the answer of GET /v1/ports/{query}: the library's one
// lookup answer, the same document as `portolan QUERY --json`.
type PortInfo = portolan.Answer

// getPort answers from a cache keyed by the query text and the state
// generation, so a hot port costs a map lookup and one write. A query that
// is a comma list ("80,443") answers a JSON array of the answers.
func (s *Server) getPort(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("query")
	if proto := r.PathValue("proto"); proto != "" {
		raw += "/" + proto
	}
	st := s.state.get(r.Context())
	role := RoleOf(r.Context())
	key := raw
	if role == RoleAdmin {
		// Admins see the owners' command lines: their answers are cached
		// apart, under a key no query can spell (a NUL is refused).
		key = "\x00admin\x00" + raw
	}
	if e, ok := s.ports.get(key, st.gen); ok {
		e.write(w)
		return nil
	}
	b, err := s.answer(r.Context(), raw, st, role)
	if err != nil {
		return err
	}
	e := newCached(st.gen, b)
	if len(b) <= maxCachedAnswer {
		s.ports.put(key, e)
	}
	e.write(w)
	return nil
}

// maxCachedAnswer is the largest answer the cache keeps: ports and names
// take a few kilobytes, while range answers run to megabytes, are rarely
// asked twice within a state generation, and would let anyone who may read
// fill the cache.
const maxCachedAnswer = 64 << 10

// maxQueryLen bounds a port query: the longest valid one is a 63-character
// service name with "/sctp"; a list may hold a few.
const maxQueryLen = 200

// answer encodes the answer to raw, with the listeners as role may see
// them. Range answers are computed a few at a time: one allocates up to
// megabytes while it is built, so a crowd of range queries must queue
// instead of holding it all at once.
func (s *Server) answer(ctx context.Context, raw string, st *state, role Role) ([]byte, error) {
	if len(raw) > maxQueryLen {
		return nil, portolan.Errorf(portolan.EINVALID, "query %s is too long: want a port, a range LO-HI or a service name of 1-63 characters, optionally /PROTO", quote(raw))
	}
	qs, err := portolan.ParseQueries(raw)
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if err := q.Bounded(); err != nil {
			return nil, err
		}
	}
	if wide(qs) {
		select {
		case answering <- struct{}{}:
			defer func() { <-answering }()
		case <-ctx.Done():
			return nil, portolan.Errorf(portolan.ETIMEOUT, "the request ended while it waited for a lookup")
		}
	}
	l := s.lookup(st, role)
	answers := make([]*portolan.Answer, len(qs))
	for i, q := range qs {
		a, err := l.Answer(ctx, q)
		if err != nil {
			return nil, err
		}
		if err := a.NotFound(); err != nil {
			return nil, err
		}
		answers[i] = a
	}
	var v any = answers
	if !strings.Contains(raw, ",") {
		v = answers[0]
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// answering holds a token per wide lookup being computed.
var answering = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// wide reports whether qs asks for a range of more than a few ports: ports
// and names are answered in kilobytes and never wait behind ranges.
func wide(qs []portolan.Query) bool {
	for _, q := range qs {
		if !q.IsName() && q.Ports.Len() > 16 {
			return true
		}
	}
	return false
}

// lookup is the library's lookup over the state snapshot st, with the
// listeners as role may see them.
func (s *Server) lookup(st *state, role Role) *portolan.Lookup {
	reg, _ := s.cfg.Registry.(portolan.Knowledge)
	host := portolan.HostRanges(s.cfg.Host)
	return &portolan.Lookup{
		Registry: reg,
		Host:     &host,
		Sockets: func(_ context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
			return answerSockets(st.listenersFor(role), r, proto), nil
		},
		Leases:      func(context.Context) ([]portolan.Lease, error) { return st.leases, nil },
		Assignments: func(context.Context) ([]portolan.Assignment, error) { return st.assignments, nil },
	}
}

// answerSockets is the one place where sockets enter a /v1/ports answer:
// the listeners of the snapshot on ports r.
func answerSockets(listeners []portolan.Socket, r portolan.Range, proto portolan.Proto) []portolan.Socket {
	var out []portolan.Socket
	for _, sk := range listeners {
		if r.Contains(sockPort(sk)) && proto.Matches(sk.Proto) {
			out = append(out, sk)
		}
	}
	return out
}

// SearchResult is the answer of GET /v1/search?q=.
type SearchResult struct {
	Results []portolan.Service `json:"results"`
	// CommonUses are the curated de-facto uses holding every word (never
	// IANA data), as in `portolan search --json`.
	CommonUses []portolan.CommonUse `json:"common_uses"`
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
	res := SearchResult{Results: []portolan.Service{}, CommonUses: []portolan.CommonUse{}}
	if s.cfg.SearchCommon != nil {
		if cu := s.cfg.SearchCommon(q); cu != nil {
			res.CommonUses = cu
		}
		if len(res.CommonUses) > limit {
			res.CommonUses = res.CommonUses[:limit]
		}
	}
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

// Ranges is the answer of GET /v1/ranges, the same document as
// `portolan ranges --json`.
type Ranges = portolan.RangesReport

func (s *Server) getRanges(w http.ResponseWriter, r *http.Request) error {
	var assigned func(portolan.Port, portolan.Proto) bool
	if s.cfg.Registry != nil {
		assigned = s.cfg.Registry.Assigned
	}
	writeJSON(w, http.StatusOK, portolan.Ranges(portolan.HostRanges(s.cfg.Host), assigned))
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
