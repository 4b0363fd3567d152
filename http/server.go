package http

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/webhook"
)

// Registry is what the server asks of the IANA registry (the registry
// package's *Registry satisfies it). It is an interface here so that this
// adapter does not import another adapter, and tests pass a fake.
type Registry interface {
	ByPort(p portolan.Port, proto portolan.Proto) []portolan.Service
	ByName(name string) []portolan.Service
	CommonUses(p portolan.Port) []portolan.CommonUse
	Assigned(p portolan.Port, proto portolan.Proto) bool
}

// HostInfo is this host's port ranges, as /v1/ranges and /v1/ports show them.
type HostInfo struct {
	Ephemeral         portolan.Range   `json:"ephemeral"`
	Reserved          []portolan.Range `json:"reserved"`
	UnprivilegedStart portolan.Port    `json:"unprivileged_start"`
	Defaults          bool             `json:"defaults"` // true: not read from the OS
	Source            string           `json:"source"`
}

// Config is what a Server serves. Nil services answer "unsupported".
type Config struct {
	Registry Registry
	// Search ranks registry records for free text (GET /v1/search); nil
	// falls back to exact name and port lookups.
	Search func(q string, limit int) []portolan.Service
	// Names hands out named ports (GET/PUT/DELETE /v1/names); nil: none.
	Names portolan.NameService
	// SearchCommon returns the curated common uses matching free text
	// (the common_uses of GET /v1/search); nil: none.
	SearchCommon func(q string) []portolan.CommonUse
	Host         HostInfo
	// Sockets lists this host's listening sockets with their owners.
	Sockets     func(ctx context.Context) ([]portolan.Socket, error)
	Leases      portolan.LeaseService
	Assignments portolan.AssignmentService
	Why         WhyFunc // GET /v1/why/{port}; nil: unsupported
	// Health reports whether the store can take writes (GET /healthz);
	// a store's portolan.HealthChecker is the one to give.
	Health func(ctx context.Context) error
	Tokens *Tokens
	// UI serves the web page at "/"; nil serves nothing there.
	UI     http.Handler
	Logger *slog.Logger
	// StateTTL bounds how stale the cached sockets, leases and assignments
	// may be when another process changed them (default 1s); changes made
	// through this server are visible at once.
	StateTTL time.Duration
	// MaxBody caps request bodies (default 64 KiB).
	MaxBody int64
	// Timeouts of the HTTP server; zero fields take the defaults.
	Timeouts Timeouts
	// MaxConns caps concurrent connections (default 1024).
	MaxConns int
	// ClientConns caps the connections of one remote address (default 64);
	// loopback callers together may hold half of MaxConns.
	ClientConns int
	// Fleet keeps the hosts that report to this server (POST
	// /v1/hosts/{id}/report) and answers the fleet's reads; nil: none.
	Fleet portolan.FleetStore
	// AgentWrites bounds the rows one agent token's reports may make the
	// store write; zero: 160,000 at once, 50 a second.
	AgentWrites Budget
	// OnFleetEvents hears the events of each report once it is stored
	// (webhooks); it must not block.
	OnFleetEvents func([]portolan.FleetEvent)
	// Webhook reports the webhook sender's counters for /metrics; nil:
	// no webhook.
	Webhook func() webhook.Stats
	// PublicReads lets anyone who reaches the server read without a token;
	// without it, anonymous reads come from this host only.
	PublicReads bool
}

// Timeouts bound how long a client may take, so slow clients are cut off.
type Timeouts struct {
	ReadHeader time.Duration // default 5s
	Read       time.Duration // whole request, default 15s
	Write      time.Duration // default 30s
	Idle       time.Duration // keep-alive, default 120s
	// Shutdown is how long requests under way may take to finish once the
	// server is told to stop (default 10s); then their contexts end.
	Shutdown time.Duration
}

// Server serves the JSON API (and the page, when given).
type Server struct {
	cfg     Config
	log     *slog.Logger
	tokens  *Tokens
	mux     *http.ServeMux
	metrics *metrics
	leases  portolan.LeaseService // counting wrapper of cfg.Leases
	state   *stateCache
	ports   *responseCache
	mapc    *responseCache
	iana    []byte // bitset of IANA-assigned ports, any protocol
	ianaOne sync.Once
	local   localAddrs
	planc   planCache
	busy    atomic.Int64             // requests in a handler now
	byPath  map[string]*routeMetrics // a route's metrics by its path pattern, for 405 answers
	budget  reportBudget             // what each agent token may make the store write
	agents  sync.Map                 // agent token name → the host it is tied to (BindAgent)
}

// NewServer returns a server for cfg.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Tokens == nil {
		cfg.Tokens = NewTokens()
	}
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 10
	}
	if cfg.Sockets != nil {
		cfg.Sockets = (&sharedScan{scan: cfg.Sockets}).do
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tokens: cfg.Tokens, mux: http.NewServeMux(), byPath: map[string]*routeMetrics{}, budget: newReportBudget(cfg.AgentWrites)}
	s.state = newStateCache(cfg, cfg.StateTTL)
	s.ports = newResponseCache(4096)
	s.mapc = newResponseCache(1)
	s.metrics = newMetrics(func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return float64(len(s.state.get(ctx).leases))
	})
	if cfg.Fleet != nil {
		s.metrics.fleet = s.fleetCounts
	}
	s.metrics.webhook = cfg.Webhook
	if cfg.Leases != nil {
		s.leases = countingLeases{cfg.Leases, s.metrics, s.state.invalidate}
	}
	s.routes()
	return s
}

// LeaseService returns the lease service with this server's metrics and
// cache invalidation around it; hand it to the portserver socket too.
func (s *Server) LeaseService() portolan.LeaseService { return s.leases }

// Reclaimed counts n leases reclaimed by the owner/TTL sweep.
func (s *Server) Reclaimed(n int) {
	if n > 0 {
		s.metrics.reclaimed.Add(float64(n))
		s.state.invalidate()
	}
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	s.handle("GET /v1/ports/{query}", "ports", accessRead, s.getPort)
	s.handle("GET /v1/ports/{query}/{proto}", "ports", accessRead, s.getPort) // 53/udp written with a plain slash
	s.handle("GET /v1/search", "search", accessRead, s.getSearch, "q", "limit")
	s.handle("GET /v1/ranges", "ranges", accessRead, s.getRanges)
	s.handle("GET /v1/sockets", "sockets", accessRead, s.listSockets)
	s.handle("GET /v1/map", "map", accessRead, s.getMap)
	s.handle("GET /v1/why/{port...}", "why", accessRead, s.getWhy, "protocol")
	s.handle("GET /v1/leases", "leases", accessRead, s.getLeases)
	s.handle("POST /v1/leases", "leases", accessWrite, s.postLeases)
	s.handle("DELETE /v1/leases/{port}", "lease", accessWrite, s.deleteLease)
	s.handle("GET /v1/assignments", "assignments", accessRead, s.getAssignments, "owner", "name", "port", "protocol", "conflicts")
	s.handle("POST /v1/assignments", "assignments", accessWrite, s.postAssignment)
	s.handle("DELETE /v1/assignments/{port}/{proto}", "assignment", accessWrite, s.deleteAssignment)
	s.handle("GET /v1/audit", "audit", accessRead, s.getAudit, "limit")
	s.handle("GET /v1/names", "names", accessRead, s.getNames)
	s.handle("PUT /v1/names", "names", accessWrite, s.putName)
	s.handle("DELETE /v1/names", "names", accessWrite, s.deleteName, "project", "worktree", "name")
	s.fleetRoutes()
	s.handle("GET /healthz", "healthz", accessRead, s.getHealth)
	mh := s.metrics.handler()
	s.handle("GET /metrics", "metrics", accessRead, func(w http.ResponseWriter, r *http.Request) error {
		mh.ServeHTTP(w, r)
		return nil
	})
	// Without a method, these catch what the routes above do not: a known
	// path with another method (405) and unknown paths (404), in JSON.
	s.handle("/healthz", "other", accessRead, s.notRouted)
	s.handle("/metrics", "other", accessRead, s.notRouted)
	s.handle("/v1/", "other", accessRead, s.notRouted)
	if s.cfg.UI != nil {
		s.mux.Handle("/", s.cfg.UI)
	} else {
		s.handle("/", "other", accessRead, func(w http.ResponseWriter, r *http.Request) error {
			return portolan.Errorf(portolan.ENOTFOUND, "nothing at %s: the API lives under /v1/", r.URL.Path)
		})
	}
}

// notRouted answers a request no route took: 405 with Allow when the path
// is served with other methods, else 404.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) error {
	if allow, pattern := s.allowed(r); len(allow) > 0 {
		if sw, ok := w.(*statusWriter); ok {
			sw.route = s.byPath[pattern] // counted under the route whose path it is
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return portolan.Errorf(EMETHOD, "%s is not allowed on %s: %s answers %s", short(r.Method), short(r.URL.Path), pattern, strings.Join(allow, ", "))
	}
	return portolan.Errorf(portolan.ENOTFOUND, "no API endpoint %s %s (scanning is never offered over HTTP)", short(r.Method), short(r.URL.Path))
}

// allowed lists the methods a route serves r's path with, and that route's
// path pattern, by asking the mux, so the list cannot drift from the routes.
func (s *Server) allowed(r *http.Request) (methods []string, pattern string) {
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
		rr := r.WithContext(r.Context())
		rr.Method = m
		_, pat := s.mux.Handler(rr)
		method, path, ok := strings.Cut(pat, " ")
		if ok && (method == m || m == http.MethodHead && method == http.MethodGet) {
			methods, pattern = append(methods, m), path
		}
	}
	return methods, pattern
}

// statusWriter remembers the status for the metrics, and the route to
// count the request under when the handler knows better (405 answers).
type statusWriter struct {
	http.ResponseWriter
	status int
	route  *routeMetrics
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

var swPool = sync.Pool{New: func() any { return new(statusWriter) }}

// handle registers h with authorization, error mapping and metrics. Routes
// with a method refuse query parameters other than params.
func (s *Server) handle(pattern, route string, need access, h func(http.ResponseWriter, *http.Request) error, params ...string) {
	rm := s.metrics.route(route)
	check := strings.Contains(pattern, " ")
	if _, path, ok := strings.Cut(pattern, " "); ok && s.byPath[path] == nil {
		s.byPath[path] = rm
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.busy.Add(1)
		defer s.busy.Add(-1)
		start := time.Now()
		sw := swPool.Get().(*statusWriter)
		sw.ResponseWriter, sw.status, sw.route = w, 0, nil
		r, err := s.authorize(r, need)
		if err == nil && check {
			err = checkParams(r, params)
		}
		if err == nil {
			err = h(sw, r)
		}
		if err != nil {
			s.writeError(sw, r, err, conflictsOf(err))
		}
		if sw.route != nil {
			sw.route.observe(r.Method, sw.status, time.Since(start))
		} else {
			rm.observe(r.Method, sw.status, time.Since(start))
		}
		sw.ResponseWriter, sw.route = nil, nil
		swPool.Put(sw)
	})
}

// HTTPServer returns an http.Server with the configured limits.
func (s *Server) HTTPServer() *http.Server {
	t := s.cfg.Timeouts
	return &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: orDefault(t.ReadHeader, 5*time.Second),
		ReadTimeout:       orDefault(t.Read, 15*time.Second),
		WriteTimeout:      orDefault(t.Write, 30*time.Second),
		IdleTimeout:       orDefault(t.Idle, 120*time.Second),
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

func orDefault(d, v time.Duration) time.Duration {
	if d <= 0 {
		return v
	}
	return d
}

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests under way finish (for Timeouts.Shutdown, then
// cancels their contexts) and returns only when every handler has
// returned, so the caller may close the store behind them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	n := s.cfg.MaxConns
	if n <= 0 {
		n = 1024
	}
	per := s.cfg.ClientConns
	if per <= 0 {
		per = 64
	}
	guard := newConnGuard(n, per)
	hs := s.HTTPServer()
	hs.ConnState = guard.track
	base, cut := context.WithCancel(context.Background())
	defer cut()
	hs.BaseContext = func(net.Listener) context.Context { return base }
	done := make(chan error, 1)
	go func() { done <- hs.Serve(guard.listener(ln)) }()
	select {
	case err := <-done:
		s.drain()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), orDefault(s.cfg.Timeouts.Shutdown, 10*time.Second))
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		cut() // the grace is over: requests still running see their context end
		hs.Close()
	}
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.drain()
	return err
}

// drain waits until no handler runs. http.Server.Shutdown waits for
// connections to go idle, but after its deadline (or Close) handlers may
// still be running; their store calls must return before the store closes.
func (s *Server) drain() {
	for s.busy.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}
