package http_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/testutil/syncbuf"
)

// An internal error reaches the operator's log with its cause; the client
// sees only "internal error".
func TestInternalErrorsAreLogged(t *testing.T) {
	var logs syncbuf.Buffer
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Sockets = func(context.Context) ([]portolan.Socket, error) {
			return nil, errors.New("netlink: disk on fire")
		}
	})
	resp, err := http.Get(e.url + "/v1/sockets")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "disk on fire") || !strings.Contains(string(body), `"internal"`) {
		t.Fatalf("client sees %d %s; want 500 internal without the cause", resp.StatusCode, body)
	}
	if l := logs.String(); !strings.Contains(l, "request failed") || !strings.Contains(l, "disk on fire") || !strings.Contains(l, "/v1/sockets") {
		t.Errorf("server log %q; want the failed request with its cause", l)
	}
}
