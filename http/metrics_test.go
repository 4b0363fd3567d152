package http_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// /metrics is written by hand (the reference client's package init would
// cost every portolan process start-up); Prometheus's own parser reads it
// back with the types, labels and values a scrape would see.
func TestMetricsParseAsPrometheusText(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for range 2 {
		e.anon.Port(ctx, "443")
	}
	e.anon.Port(ctx, "99999") // a 400
	e.admin.Grant(ctx, portolan.LeaseRequest{Count: 3})
	// The kernel counts CPU time in 10 ms ticks: spend a few, so that
	// process_cpu_seconds_total is positive however early this test runs.
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}

	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q; want Prometheus text 0.0.4", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("Prometheus's parser refuses /metrics: %v", err)
	}
	typeOf := func(name string) dto.MetricType {
		f := fams[name]
		if f == nil {
			t.Fatalf("/metrics lacks the family %s", name)
		}
		return f.GetType()
	}
	for name, want := range map[string]dto.MetricType{
		"portolan_http_requests_total":           dto.MetricType_COUNTER,
		"portolan_http_request_duration_seconds": dto.MetricType_HISTOGRAM,
		"portolan_leases_granted_total":          dto.MetricType_COUNTER,
		"portolan_leases_live":                   dto.MetricType_GAUGE,
		"go_goroutines":                          dto.MetricType_GAUGE,
		"go_gc_duration_seconds":                 dto.MetricType_SUMMARY,
		"go_memstats_alloc_bytes":                dto.MetricType_GAUGE,
		"go_info":                                dto.MetricType_GAUGE,
	} {
		if got := typeOf(name); got != want {
			t.Errorf("%s is a %v; want %v", name, got, want)
		}
	}
	if runtime.GOOS == "linux" {
		for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"} {
			if fams[name] == nil || fams[name].Metric[0].GetGauge().GetValue()+fams[name].Metric[0].GetCounter().GetValue() <= 0 {
				t.Errorf("/metrics lacks a positive %s", name)
			}
		}
	}

	requests := map[string]float64{}
	for _, m := range fams["portolan_http_requests_total"].Metric {
		l := map[string]string{}
		for _, lp := range m.Label {
			l[lp.GetName()] = lp.GetValue()
		}
		requests[l["route"]+" "+l["method"]+" "+l["code"]] = m.GetCounter().GetValue()
	}
	if requests["ports GET 200"] != 2 || requests["ports GET 400"] != 1 {
		t.Errorf("requests by route, method and code = %v; want ports GET 200: 2 and 400: 1", requests)
	}
	if v := fams["portolan_leases_granted_total"].Metric[0].GetCounter().GetValue(); v != 3 {
		t.Errorf("portolan_leases_granted_total = %v; want 3", v)
	}
	for _, m := range fams["portolan_http_request_duration_seconds"].Metric {
		if m.Label[0].GetValue() != "ports" {
			continue
		}
		h := m.GetHistogram()
		bs := h.GetBucket()
		if h.GetSampleCount() != 3 || h.GetSampleSum() <= 0 || len(bs) != 13 || bs[len(bs)-1].GetCumulativeCount() != 3 {
			t.Errorf("ports latency histogram = %v; want 3 observations in 12 cumulative buckets and +Inf", h)
		}
		for i := 1; i < len(bs); i++ {
			if bs[i].GetCumulativeCount() < bs[i-1].GetCumulativeCount() || bs[i].GetUpperBound() <= bs[i-1].GetUpperBound() {
				t.Errorf("bucket %d of the ports histogram is not cumulative: %v", i, bs)
			}
		}
	}
	if g := fams["go_goroutines"].Metric[0].GetGauge().GetValue(); g < 1 {
		t.Errorf("go_goroutines = %v", g)
	}
}

// A 405 is counted under the route whose path was asked for, with the
// method used; only unknown paths count as "other".
func TestMetricsCount405UnderTheirRoute(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, r := range []struct{ method, path string }{{"PUT", "/v1/leases"}, {"DELETE", "/v1/ports/443"}, {"POST", "/healthz"}, {"GET", "/v1/nothing"}} {
		req, _ := http.NewRequest(r.method, e.url+r.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`portolan_http_requests_total{code="405",method="PUT",route="leases"} 1`,
		`portolan_http_requests_total{code="405",method="DELETE",route="ports"} 1`,
		`portolan_http_requests_total{code="405",method="POST",route="healthz"} 1`,
		`portolan_http_requests_total{code="404",method="GET",route="other"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(b), `code="405",method="PUT",route="other"`) {
		t.Error("a 405 is counted under route=\"other\"")
	}
}
