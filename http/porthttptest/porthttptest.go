// Package porthttptest runs a portolan HTTP server for a test, on a real
// listener, until the test ends.
package porthttptest

import (
	"context"
	"net"
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
