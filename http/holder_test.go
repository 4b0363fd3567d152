package http_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
)

// heldListener is a dev server under pm2 in a checkout under a home
// directory, reachable on every interface and allowed by the firewall.
var heldListener = portolan.Socket{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:5173"), State: "LISTEN",
	Owner: &portolan.Process{PID: 5151, Name: "node", User: "ann", UID: 1000,
		Holder: &portolan.Holder{Unit: "app.service", Orphan: true,
			Supervisor: &portolan.Supervisor{PID: 5150, Kind: "pm2", Stop: "PM2_HOME=/home/ann/.pm2-shop pm2 stop shop"},
			Project:    &portolan.ProjectDir{Top: "/home/ann/src/shop", Worktree: "/home/ann/src/shop-feat", Branch: "feat-secret-merger"}}},
	Exposure: &portolan.Reachability{Scope: "wildcard", Reach: portolan.ReachAll, Firewall: "allow", Rule: "inet filter input: tcp dport 5173 accept", Exposed: true}}

// The holder reaches every reader at /v1/sockets and /v1/ports: what the
// program is. A reader who is not admin gets the checkout's base name
// only (no home directory, no branch), no supervisor stop command (it
// names config paths) and no firewall rule text; an admin gets it all.
func TestSocketHolderByRole(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Sockets = func(context.Context) ([]portolan.Socket, error) { return []portolan.Socket{heldListener}, nil }
	})
	for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"read token", readToken}} {
		for _, path := range []string{"/v1/sockets", "/v1/ports/5173"} {
			body := porthttptest.Get(t, e.url+path, who.token)
			for _, hidden := range []string{"/home/ann", "feat-secret-merger", "pm2 stop", "accept"} {
				if strings.Contains(body, hidden) {
					t.Errorf("%s reads %s = %s; want no %q", who.name, path, body, hidden)
				}
			}
			for _, shown := range []string{`"unit":"app.service"`, `"kind":"pm2"`, `"pid":5150`, `"worktree":"shop-feat"`, `"orphan":true`,
				`"reach":"all"`, `"firewall":"allow"`, `"exposed":true`} {
				if !strings.Contains(body, shown) {
					t.Errorf("%s reads %s = %s; want %s", who.name, path, body, shown)
				}
			}
		}
	}
	for _, path := range []string{"/v1/sockets", "/v1/ports/5173"} {
		body := porthttptest.Get(t, e.url+path, adminToken)
		for _, shown := range []string{`"worktree":"/home/ann/src/shop-feat"`, `"branch":"feat-secret-merger"`, `"stop":"PM2_HOME=/home/ann/.pm2-shop pm2 stop shop"`, `"rule":"inet filter input: tcp dport 5173 accept"`} {
			if !strings.Contains(body, shown) {
				t.Errorf("admin reads %s = %s; want %s", path, body, shown)
			}
		}
	}
	if heldListener.Owner.Holder.Project.Worktree != "/home/ann/src/shop-feat" || heldListener.Exposure.Rule == "" {
		t.Error("redaction changed the scan's own holder or exposure")
	}
}
