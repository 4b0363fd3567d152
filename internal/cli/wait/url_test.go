package wait

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// wait http://... waits until the URL answers 2xx or 3xx: a server that
// answers 503 while it starts is not ready yet.
func TestWaitURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 4 || r.URL.Path != "/healthz" {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	u := "http://" + ln.Addr().String() + "/healthz"
	o, ios := opts(u)
	o.JSON = true
	start := time.Now()
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("wait %s: %v", u, err)
	}
	var res Result
	out := ios.Out.(interface{ Bytes() []byte }).Bytes()
	if err := json.Unmarshal(out, &res); err != nil || !res.Ready || len(res.Targets) != 1 || res.Targets[0].Status != 204 || res.Targets[0].State != "open" {
		t.Fatalf("wait --json: %s (%v)", out, err)
	}
	if hits.Load() != 4 || time.Since(start) > 3*time.Second {
		t.Errorf("%d requests in %s; want ready at the 4th", hits.Load(), time.Since(start))
	}
}

// A URL that never answers 2xx/3xx times out with exit 124 and says what
// it answered last; --json lists it as still waiting.
func TestWaitURLTimesOut(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	u := "http://" + ln.Addr().String() + "/"
	o, ios := opts(u)
	o.Timeout, o.JSON = 300*time.Millisecond, true
	err = Run(context.Background(), o)
	if cmdutil.ExitCode(err) != 124 || !strings.Contains(cmdutil.Message(err), "last answer 502 Bad Gateway") {
		t.Fatalf("wait for a 502: exit %d %q", cmdutil.ExitCode(err), cmdutil.Message(err))
	}
	var res Result
	out := ios.Out.(interface{ Bytes() []byte }).Bytes()
	if json.Unmarshal(out, &res) != nil || res.Ready || res.Targets[0].State != "waiting" {
		t.Errorf("--json after a timeout: %s", out)
	}
}

func TestWaitBadURL(t *testing.T) {
	for _, a := range []string{"http://", "ftp://localhost:21"} {
		o, _ := opts(a)
		err := Run(context.Background(), o)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "HOST:PORT") {
			t.Errorf("wait %s: exit %d %q", a, cmdutil.ExitCode(err), cmdutil.Message(err))
		}
	}
}

// wait --json with HOST:PORT: each port, the address that answered.
func TestWaitPortJSON(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	o, ios := opts(ln.Addr().String())
	o.JSON = true
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var res Result
	out := ios.Out.(interface{ Bytes() []byte }).Bytes()
	if json.Unmarshal(out, &res) != nil || !res.Ready || len(res.Targets) != 1 || res.Targets[0].Address != ln.Addr().String() || res.Targets[0].State != "open" {
		t.Errorf("wait --json: %s", out)
	}
}
