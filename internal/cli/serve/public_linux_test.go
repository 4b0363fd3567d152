//go:build linux

package serve_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/internal/testnet"
)

// serve --public-reads opens reads to another host without a token;
// without it such reads get 401. Writes need the admin token either way.
func TestServePublicReads(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	other := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = ns.Do(func() (err error) { c, err = (&net.Dialer{}).DialContext(ctx, network, addr); return err })
			return c, err
		}}}
	status := func(method, url string) int {
		req, _ := http.NewRequest(method, url, nil)
		resp, err := other.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	listen := netip.AddrPortFrom(ns.HostAddr, 0).String()
	for _, public := range []bool{false, true} {
		url, stop := start(t, serve.Options{Listen: listen, Portserver: "", PublicReads: public})
		want := 401
		if public {
			want = 200
		}
		if st := status("GET", url+"/v1/ranges"); st != want {
			t.Errorf("--public-reads=%v: anonymous GET from another host = %d, want %d", public, st, want)
		}
		if st := status("DELETE", url+"/v1/leases/40000"); st != 401 {
			t.Errorf("--public-reads=%v: anonymous DELETE from another host = %d, want 401", public, st)
		}
		stop()
	}
}
