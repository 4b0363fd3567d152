// Package porthttptest runs a portolan HTTP server for a test, on a real
// listener, until the test ends, and reads from it as a client would.
package porthttptest

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	porthttp "github.com/portolan-dev/portolan/http"
)

// Serve listens on addr (127.0.0.1:0 for a free loopback port), serves srv
// there until the test ends, waiting for Serve to return, and returns the
// server's base URL.
func Serve(tb testing.TB, srv *porthttp.Server, addr string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	tb.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// Get fetches url with token as its bearer token (none when empty) and
// returns the body; any status but 200 fails the test.
func Get(tb testing.TB, url, token string) string {
	tb.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
