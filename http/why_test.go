package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/why"
)

// GET /v1/why/{port} is `why PORT --json`; the owner inside a listener
// cause is redacted as in /v1/sockets (no command line, no login name for
// readers), and a bad port is a 400 naming it.
func TestWhyRoute(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Why = func(ctx context.Context, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error) {
			return why.Bind(ctx, why.Sources{Sockets: func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
				return []portolan.Socket{secretListener}, nil
			}}, p, proto)
		}
	})
	for _, path := range []string{"/v1/why/7780", "/v1/why/7780/tcp", "/v1/why/7780?protocol=tcp"} {
		body := porthttptest.Get(t, e.url+path, "")
		if strings.Contains(body, argvSecret) || strings.Contains(body, "cmdline") || strings.Contains(body, "alice") {
			t.Errorf("anonymous %s = %s; want no command line and no login name", path, body)
		}
		if !strings.Contains(body, `"code":"listener"`) || !strings.Contains(body, `"pid":4343`) {
			t.Errorf("%s = %s; want the listener cause with its pid", path, body)
		}
	}
	if b := porthttptest.Get(t, e.url+"/v1/why/7780", adminToken); !strings.Contains(b, "alice") || strings.Contains(b, argvSecret) {
		t.Errorf("admin = %s; want the login name, the secret masked", b)
	}
	for _, bad := range []string{"/v1/why/0", "/v1/why/70000", "/v1/why/80/sctp", "/v1/why/x"} {
		resp, err := http.Get(e.url + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("GET %s = %d; want 400", bad, resp.StatusCode)
		}
	}
}

// A listener in another network namespace is an admin's fact: readers
// never learn which containers and processes run in the host's other
// namespaces, admins get the other-netns cause with the command line
// masked.
func TestWhyOtherNetNSIsAdminOnly(t *testing.T) {
	other := secretListener
	other.NetNS = &portolan.NetNS{Inode: 4026532999, Name: "shop", Context: "container docker 3f2a1b"}
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Why = func(ctx context.Context, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error) {
			return why.Bind(ctx, why.Sources{Elsewhere: func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
				return []portolan.Socket{other}, nil
			}}, p, proto)
		}
	})
	if b := porthttptest.Get(t, e.url+"/v1/why/7780", ""); strings.Contains(b, "other-netns") || strings.Contains(b, "shop") || strings.Contains(b, argvSecret) {
		t.Errorf("anonymous = %s; want no other namespace", b)
	}
	b := porthttptest.Get(t, e.url+"/v1/why/7780", adminToken)
	if !strings.Contains(b, `"code":"other-netns"`) || !strings.Contains(b, "container docker 3f2a1b") || strings.Contains(b, argvSecret) {
		t.Errorf("admin = %s; want the other-netns cause, the secret masked", b)
	}
}
