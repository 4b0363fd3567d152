package http_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// nullWriter is the cheapest ResponseWriter, so the figures are the
// handler's own cost.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(int)             {}

func BenchmarkGetPort443(b *testing.B) {
	e := newEnv(&testing.T{}, nil, nil)
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/v1/ports/443", nil)
	req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:7780"
	w := &nullWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// A hot port is answered from the cache: the handler path must stay
// allocation-light: the encoded answer and its Content-Length are cached.
func TestGetPortAllocs(t *testing.T) {
	e := newEnv(t, nil, nil)
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/v1/ports/443", nil)
	req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:7780"
	w := &nullWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	if n > 2 {
		t.Errorf("cached GET /v1/ports/443 allocates %.0f times, want at most 2", n)
	}
}
