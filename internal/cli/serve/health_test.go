package serve_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/serve"
)

// The state directory deleted under a running server: /healthz turns 503
// and grants are refused, where the server used to go on granting into the
// unlinked file with /healthz ok (and lose every grant at exit).
func TestServeNoticesDeletedState(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	url, stop := start(t, serve.Options{Store: "sqlite:" + filepath.Join(dir, "portolan.db"), Portserver: ""})
	defer stop()
	b, _ := os.ReadFile(filepath.Join(state, "portolan", "token"))
	admin := porthttp.NewClient(url, strings.TrimSpace(string(b)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.Health(ctx); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	if _, err := admin.Grant(ctx, portolan.LeaseRequest{Proto: portolan.TCP}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if st, body := getBody(t, url+"/healthz"); st != http.StatusServiceUnavailable || !strings.Contains(body, "cannot take writes") {
		t.Errorf("/healthz with the state deleted = %d %s; want 503", st, body)
	}
	if ls, err := admin.Grant(ctx, portolan.LeaseRequest{Proto: portolan.TCP}); err == nil {
		t.Errorf("a grant with the state deleted succeeded: %+v", ls)
	}
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}
