package promtext_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/promtext"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// What the Writer writes, Prometheus's own parser reads back with the same
// types, labels (escaped) and values.
func TestWriterParsesAsPrometheusText(t *testing.T) {
	reqs := promtext.NewFamily("t_requests_total", "Requests\nby route.", "counter", []string{"route", "code"},
		func() *promtext.Counter { return new(promtext.Counter) })
	reqs.WithLabelValues("ports", "200").Add(3)
	reqs.WithLabelValues(`we"ird\`+"\n", "404").Inc()
	lat := promtext.NewFamily("t_latency_seconds", "Latency.", "histogram", []string{"route"},
		func() *promtext.Histogram { return promtext.NewHistogram([]float64{.01, .1, 1}) })
	for _, v := range []float64{.005, .05, .5, 5} {
		lat.WithLabelValues("ports").Observe(v)
	}
	empty := promtext.NewFamily("t_empty_total", "Never used.", "counter", []string{"x"},
		func() *promtext.Counter { return new(promtext.Counter) })

	var buf bytes.Buffer
	w := promtext.NewWriter(&buf)
	w.Counters(reqs)
	w.Counters(empty)
	w.Histograms(lat)
	w.Single("t_live", "Live.", "gauge", 2.5)
	w.Go()
	w.Process()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "t_empty_total") {
		t.Error("a family without series is written")
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("Prometheus's parser refuses the text: %v", err)
	}
	if f := fams["t_requests_total"]; f.GetType() != dto.MetricType_COUNTER || len(f.Metric) != 2 || f.GetHelp() != "Requests\nby route." {
		t.Errorf("t_requests_total = %v", f)
	}
	got := map[string]float64{}
	for _, m := range fams["t_requests_total"].Metric {
		got[m.Label[1].GetValue()+" "+m.Label[0].GetValue()] = m.GetCounter().GetValue() // labels sorted: code, route
	}
	if got["ports 200"] != 3 || got["we\"ird\\\n 404"] != 1 {
		t.Errorf("counters by route and code = %v", got)
	}
	h := fams["t_latency_seconds"].Metric[0].GetHistogram()
	if h.GetSampleCount() != 4 || h.GetSampleSum() != 5.555 || len(h.Bucket) != 4 || h.Bucket[1].GetCumulativeCount() != 2 {
		t.Errorf("histogram = %v", h)
	}
	if fams["t_live"].Metric[0].GetGauge().GetValue() != 2.5 || fams["go_goroutines"] == nil || fams["go_gc_duration_seconds"].GetType() != dto.MetricType_SUMMARY {
		t.Error("single gauge or Go runtime series missing")
	}
}
