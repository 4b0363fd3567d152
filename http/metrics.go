package http

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// that two servers in one process (tests) never share counters.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	granted    prometheus.Counter
	released   prometheus.Counter
	reclaimed  prometheus.Counter
	conflicts  *prometheus.CounterVec
	assignOK   prometheus.Counter
	liveLeases func() float64
}

func newMetrics(live func() float64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portolan_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portolan_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		granted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portolan_leases_granted_total", Help: "Ports leased (HTTP and portserver socket).",
		}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portolan_leases_released_total", Help: "Leases ended by an explicit release.",
		}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portolan_leases_reclaimed_total", Help: "Leases reclaimed because the owner died or the TTL passed.",
		}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portolan_assignment_conflicts_total", Help: "Conflicts found when assigning ports, by kind and severity.",
		}, []string{"kind", "severity"}),
		assignOK: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portolan_assignments_created_total", Help: "Assignments stored.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.granted, m.released, m.reclaimed, m.conflicts, m.assignOK,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portolan_leases_live", Help: "Leases held now.",
		}, live),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// routeMetrics are one route's series, resolved once at registration so the
// request path does no label hashing for the common status codes.
type routeMetrics struct {
	m       *metrics
	route   string
	latency prometheus.Observer
	byCode  [6][12]atomic.Pointer[prometheus.Counter] // [method index][status/100 mapped]
	other   *prometheus.CounterVec
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
				(*p).Inc()
				return
			}
			c := rm.m.requests.WithLabelValues(rm.route, methods[mi], strconv.Itoa(status))
			rm.byCode[mi][i].Store(&c)
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
