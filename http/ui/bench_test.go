package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// The page-load benchmarks report ms-to-map: milliseconds from navigation
// start to the map's first draw, as the page itself records it
// (performance.now() in data-map-drawn), with the browser cache off, over
// loopback. BenchmarkFloorPage measures the same path for a page that only
// runs one module script, Chromium's floor for any such page, so that
// bench/ui.sh can print the ratio.

func BenchmarkPageLoad(b *testing.B) {
	url, _ := realServer(b)
	benchLoads(b, url)
}

// floorPage is the least a page with one module script can be: the
// script marks the same data attribute the real page sets after drawing.
const floorPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title>
<script type="module" src="/floor.js"></script></head><body><p>floor</p></body></html>`

func BenchmarkFloorPage(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, floorPage)
	})
	mux.HandleFunc("/floor.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.documentElement.dataset.mapDrawn = String(Math.round(performance.now()));`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	benchLoads(b, srv.URL)
}

func benchLoads(b *testing.B, url string) {
	tb := newTab(b, 10*time.Minute)
	tb.open(b, url)
	b.ResetTimer()
	var all []float64
	for b.Loop() {
		all = append(all, loadTimes(b, tb, url, 1)...)
	}
	b.StopTimer()
	slices.Sort(all)
	var sum float64
	for _, v := range all {
		sum += v
	}
	b.ReportMetric(sum/float64(len(all)), "ms-to-map")
	b.ReportMetric(all[len(all)/2], "p50-ms")
	b.ReportMetric(all[(len(all)*95)/100], "p95-ms")
	tb.clean(b)
}
