package serve_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/serve"
)

// serve --report-self puts its own host in its fleet: its own API port
// shows as a confirmed listener of this host, held by this program.
func TestServeReportsItself(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	mid := filepath.Join(state, "machine-id")
	os.WriteFile(mid, []byte("serve-self-test\n"), 0o644)
	url, stop := start(t, serve.Options{Portserver: "", ReportSelf: true, ReportEvery: 100 * time.Millisecond, MachineIDFile: mid})
	defer stop()
	_, port, _ := net.SplitHostPort(url[len("http://"):])
	c := porthttp.NewClient(url, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		w, err := c.FleetWhere(context.Background(), port)
		if err == nil && len(w.Listeners) == 1 && w.Listeners[0].HostID == "serve-self-test" {
			exe, _ := os.Executable()
			if w.Listeners[0].Program != exe || w.Listeners[0].Reach != portolan.ReachLoopback {
				t.Errorf("own listener %+v, want program %s on loopback", w.Listeners[0], exe)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve's own port %s never showed in its fleet: %+v %v", port, w, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
