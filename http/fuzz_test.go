package http_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/memstore"
)

// Any body to the write endpoints, and any query text, gets a JSON answer
// that is a success or a client error, never a 500 or a panic.
func FuzzAPIBodies(f *testing.F) {
	for _, s := range []string{
		`{"port":7001,"protocol":"tcp","name":"billing"}`, `{"port":"7001","protocol":"udp","name":"x1","force":true}`,
		`{"count":2,"protocol":"both","ttl":"10m"}`, `{"ttl":1.5}`, `{"ttl":-1}`, `{"pid":-3}`, `[]`, `null`, `{`, `{"port":1e99}`,
		`{"protocol":"TCP","port":65535,"name":"` + strings.Repeat("a", 70) + `"}`, "\x00", `{"hosts":"[","port":1,"protocol":"tcp","name":"a"}`,
	} {
		f.Add(s)
	}
	e := newEnv(&testing.T{}, memstore.New(), func(c *porthttp.Config) {})
	h := e.srv.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/assignments", "/v1/leases"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.RemoteAddr = "127.0.0.1:1"
			req.Header.Set("Authorization", "Bearer "+adminToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("POST %s %q = %d %s", path, body, rec.Code, rec.Body)
			}
		}
		req := httptest.NewRequest("GET", "/v1/ports/x", nil)
		req.SetPathValue("query", body)
		req.URL.Path = "/v1/ports/" + strings.ReplaceAll(body, "/", "%2F")
		req.RemoteAddr, req.Host = "127.0.0.1:1", "127.0.0.1:7780"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET /v1/ports/%q = %d %s", body, rec.Code, rec.Body)
		}
		_ = http.StatusOK
	})
}
