package http_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
)

const argvSecret = "argv-secret-0123456789"

// secretListener is a listener whose owner was started with a secret in
// its command line, as `portolan serve --admin-token X` once was.
var secretListener = portolan.Socket{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:7780"), State: "LISTEN",
	Owner: &portolan.Process{PID: 4343, Name: "portolan", User: "alice", UID: 1000,
		Cmdline: []string{"portolan", "serve", "--admin-token", argvSecret, "--store=postgres://app:" + argvSecret + "@db/ports"}}}

// Command lines and login names reach admin tokens only, with secrets
// masked; anonymous loopback readers and read tokens get the pid and the
// process name. This holds for /v1/sockets and the sockets in /v1/ports.
func TestSocketOwnersByRole(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Sockets = func(context.Context) ([]portolan.Socket, error) {
			return []portolan.Socket{secretListener}, nil
		}
	})
	for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"read token", readToken}} {
		for _, path := range []string{"/v1/sockets", "/v1/ports/7780"} {
			body := porthttptest.Get(t, e.url+path, who.token)
			if strings.Contains(body, argvSecret) || strings.Contains(body, "cmdline") || strings.Contains(body, "alice") {
				t.Errorf("%s reads %s = %s; want no command line and no login name", who.name, path, body)
			}
			if !strings.Contains(body, `"pid":4343`) || !strings.Contains(body, `"name":"portolan"`) {
				t.Errorf("%s reads %s = %s; want the pid and the process name", who.name, path, body)
			}
		}
	}
	body := porthttptest.Get(t, e.url+"/v1/sockets", adminToken)
	var socks []portolan.Socket
	if err := json.Unmarshal([]byte(body), &socks); err != nil || len(socks) != 1 || socks[0].Owner == nil {
		t.Fatalf("admin /v1/sockets = %s, %v", body, err)
	}
	want := []string{"portolan", "serve", "--admin-token", "xxxxx", "--store=postgres://app:xxxxx@db/ports"}
	if got := socks[0].Owner.Cmdline; strings.Join(got, " ") != strings.Join(want, " ") || socks[0].Owner.User != "alice" {
		t.Errorf("admin sees %q (user %q); want %q by alice", got, socks[0].Owner.User, want)
	}
	// /v1/ports/7780 was answered (and cached) for readers above; an
	// admin gets its own answer, with the masked command line and the user.
	if b := porthttptest.Get(t, e.url+"/v1/ports/7780", adminToken); strings.Contains(b, argvSecret) ||
		!strings.Contains(b, `"--store=postgres://app:xxxxx@db/ports"`) || !strings.Contains(b, `"user":"alice"`) {
		t.Errorf("admin /v1/ports/7780 = %s; want the command line with the secret masked, and the user", b)
	}
	if b := porthttptest.Get(t, e.url+"/v1/ports/7780", ""); strings.Contains(b, "cmdline") {
		t.Errorf("anonymous /v1/ports/7780 after an admin's = %s; want no command line", b)
	}
	if secretListener.Owner.Cmdline[3] != argvSecret {
		t.Error("redaction changed the scanner's own slice")
	}
}

// Concurrent /v1/sockets requests share one scan.
func TestSocketsShareOneScan(t *testing.T) {
	var scans atomic.Int32
	release := make(chan struct{})
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Sockets = func(ctx context.Context) ([]portolan.Socket, error) {
			scans.Add(1)
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
			return []portolan.Socket{listener}, nil
		}
	})
	const n = 20
	var wg sync.WaitGroup
	var started sync.WaitGroup
	started.Add(n)
	bodies := make([]string, n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			bodies[i] = porthttptest.Get(t, e.url+"/v1/sockets", "")
		})
	}
	started.Wait()
	time.Sleep(200 * time.Millisecond) // the requests reach the scan and wait on it
	close(release)
	wg.Wait()
	if got := scans.Load(); got > 2 {
		t.Errorf("%d concurrent /v1/sockets requests ran %d scans; want them to share one", n, got)
	}
	for i, b := range bodies {
		if !strings.Contains(b, `"pid":4242`) {
			t.Errorf("request %d got %s", i, b)
		}
	}
}
