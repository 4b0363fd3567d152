package serve_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/registry"
)

// The network to PostgreSQL stops passing packets: grants fail within the
// store's bound instead of hanging, /healthz turns 503, and SIGTERM (the
// end of Run's context) stops the server within a few bounds, where it took
// over five minutes before.
func TestServeShutsDownOnAPartitionedPostgres(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv(factory.EnvStoreTimeout, "1s")
	relay := pgtest.NewRelay(t, pgtest.New(t))

	ios, _, _, errOut := iostreams.Test()
	o := serve.Options{IO: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir,
		Listen: "127.0.0.1:0", Store: relay.DSN}
	ready := make(chan string, 1)
	o.Ready = func(u string) { ready <- u }
	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, &o) }()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve did not start: %v (%s)", err, errOut)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start in 60s")
	}
	b, _ := os.ReadFile(filepath.Join(state, "portolan", "token"))
	admin := porthttp.NewClient(url, strings.TrimSpace(string(b)))
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.Grant(cctx, portolan.LeaseRequest{Proto: portolan.TCP}); err != nil {
		t.Fatal(err)
	}

	relay.Stall()
	start := time.Now()
	if _, err := admin.Grant(cctx, portolan.LeaseRequest{Proto: portolan.TCP}); err == nil {
		t.Error("a grant through a partitioned network succeeded")
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("a grant through a partitioned network took %v", d)
	}
	if st, body := getBody(t, url+"/healthz"); st != 503 {
		t.Errorf("/healthz through a partitioned network = %d %s; want 503", st, body)
	}

	// A grant in flight, then SIGTERM.
	go admin.Grant(cctx, portolan.LeaseRequest{Proto: portolan.TCP})
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	sigterm()
	select {
	case <-done:
		t.Logf("serve stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatalf("serve still running 20s after SIGTERM with the database partitioned")
	}
}
