package http

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/promtext"
	"github.com/portolan-dev/portolan/webhook"
)

// metrics are the server's Prometheus series, per server so that two
// servers in one process (tests) never share counters. Package promtext
// keeps and writes them.
type metrics struct {
	requests   *promtext.Family[promtext.Counter]
	latency    *promtext.Family[promtext.Histogram]
	granted    promtext.Counter
	released   promtext.Counter
	reclaimed  promtext.Counter
	conflicts  *promtext.Family[promtext.Counter]
	assignOK   promtext.Counter
	liveLeases func() float64
	// fleet counts hosts by state and drift by kind; nil: no fleet.
	fleet func() (hosts, drift map[string]float64)
	// webhook reports the webhook sender's counters; nil: no webhook.
	webhook func() webhook.Stats
}

// latencyBuckets are the upper bounds of the request latency histogram.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}

func newMetrics(live func() float64) *metrics {
	newCounter := func() *promtext.Counter { return new(promtext.Counter) }
	return &metrics{
		requests: promtext.NewFamily("portolan_http_requests_total", "HTTP requests by route, method and status code.", "counter",
			[]string{"route", "method", "code"}, newCounter),
		latency: promtext.NewFamily("portolan_http_request_duration_seconds", "HTTP request latency by route.", "histogram",
			[]string{"route"}, func() *promtext.Histogram { return promtext.NewHistogram(latencyBuckets) }),
		conflicts: promtext.NewFamily("portolan_assignment_conflicts_total", "Conflicts found when assigning ports, by kind and severity.", "counter",
			[]string{"kind", "severity"}, newCounter),
		liveLeases: live,
	}
}

// handler serves the series in the text exposition format, sorted by name.
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		p := promtext.NewWriter(w)
		p.Counters(m.conflicts)
		p.Single("portolan_assignments_created_total", "Assignments stored.", "counter", float64(m.assignOK.Value()))
		if m.fleet != nil {
			hosts, drift := m.fleet()
			p.Gauges("portolan_fleet_drift", "Active drift items across the fleet, by kind.", "kind",
				[]string{string(portolan.DriftDown), string(portolan.DriftExposed), string(portolan.DriftForeign), string(portolan.DriftUnregistered)},
				func(k string) float64 { return drift[k] })
			p.Gauges("portolan_fleet_hosts", "Hosts that report to this server, by state.", "state",
				[]string{string(portolan.HostFresh), string(portolan.HostGone), string(portolan.HostStale)},
				func(k string) float64 { return hosts[k] })
		}
		p.Histograms(m.latency)
		p.Counters(m.requests)
		p.Single("portolan_leases_granted_total", "Ports leased (HTTP and portserver socket).", "counter", float64(m.granted.Value()))
		p.Single("portolan_leases_live", "Leases held now.", "gauge", m.liveLeases())
		p.Single("portolan_leases_reclaimed_total", "Leases reclaimed because the owner died or the TTL passed.", "counter", float64(m.reclaimed.Value()))
		p.Single("portolan_leases_released_total", "Leases ended by an explicit release.", "counter", float64(m.released.Value()))
		if m.webhook != nil {
			st := m.webhook()
			p.Single("portolan_webhook_dropped_total", "Fleet events the webhook queue dropped (full, or refused by the receiver with a 4xx).", "counter", float64(st.Dropped+st.Rejected))
			p.Single("portolan_webhook_queued", "Fleet events waiting for the webhook receiver.", "gauge", float64(st.Queued))
			p.Single("portolan_webhook_retries_total", "Webhook deliveries retried.", "counter", float64(st.Retried))
			p.Single("portolan_webhook_sent_total", "Fleet events the webhook receiver accepted.", "counter", float64(st.Sent))
		}
		p.Go()
		p.Process()
		p.Flush()
	})
}

// routeMetrics are one route's series, resolved once at registration so the
// request path does no label hashing for the common status codes.
type routeMetrics struct {
	m       *metrics
	route   string
	latency *promtext.Histogram
	byCode  [6][12]atomic.Pointer[promtext.Counter] // [method index][status/100 mapped]
}

var methods = [...]string{"GET", "POST", "DELETE", "HEAD", "PUT", "OTHER"}

func methodIndex(m string) int {
	for i, x := range methods[:5] {
		if m == x {
			return i
		}
	}
	return 5
}

func (m *metrics) route(name string) *routeMetrics {
	return &routeMetrics{m: m, route: name, latency: m.latency.WithLabelValues(name)}
}

// codeSlot buckets the statuses the server answers with into a small array.
var codeSlots = [...]int{200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 500, 501}

func (rm *routeMetrics) observe(method string, status int, d time.Duration) {
	rm.latency.Observe(d.Seconds())
	mi := methodIndex(method)
	for i, c := range codeSlots {
		if c == status {
			if p := rm.byCode[mi][i].Load(); p != nil {
				p.Inc()
				return
			}
			c := rm.m.requests.WithLabelValues(rm.route, methods[mi], strconv.Itoa(status))
			rm.byCode[mi][i].Store(c)
			c.Inc()
			return
		}
	}
	rm.m.requests.WithLabelValues(rm.route, methods[mi], strconv.Itoa(status)).Inc()
}

// countingLeases wraps a LeaseService so that grants and releases through
// any door (HTTP, the portserver socket) are counted.
type countingLeases struct {
	portolan.LeaseService
	m       *metrics
	changed func()
}

func (c countingLeases) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	ls, err := c.LeaseService.Grant(ctx, req)
	if err == nil {
		c.m.granted.Add(float64(len(ls)))
		c.changed()
	}
	return ls, err
}

func (c countingLeases) Release(ctx context.Context, port portolan.Port) error {
	err := c.LeaseService.Release(ctx, port)
	if err == nil {
		c.m.released.Inc()
		c.changed()
	}
	return err
}
