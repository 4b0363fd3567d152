package probeutil_test

import (
	"context"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/probeutil"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
)

func TestResolver(t *testing.T) {
	r := probeutil.Resolver(func() (*registry.Registry, error) { return registry.Embedded(), nil })
	if ports, err := r("ssh"); err != nil || len(ports) != 1 || ports[0] != 22 {
		t.Errorf("ssh: %v %v", ports, err)
	}
	if ports, err := r("x11"); err != nil || len(ports) != 64 {
		t.Errorf("x11 range: %d ports %v", len(ports), err)
	}
	if _, err := r("no-such-service-here"); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("unknown name: %v", err)
	}
}

// Every port gets its IANA name whatever its state (nmap names every port
// it lists); common uses and owners are for open ports only.
func TestAnnotate(t *testing.T) {
	res := []probe.Result{{Port: 443, State: probe.Open}, {Port: 3000, State: probe.Open}, {Port: 22, State: probe.Closed},
		{Port: 3000, State: probe.Filtered}, {Port: 49999, State: probe.Closed}}
	probeutil.Annotate(context.Background(), res, registry.Embedded(), false)
	if res[0].Service != "https" || res[1].Service != "hbci" || len(res[1].CommonUses) == 0 {
		t.Errorf("open ports: %+v %+v", res[0], res[1])
	}
	if res[2].Service != "ssh" || res[3].Service != "hbci" || len(res[3].CommonUses) != 0 || res[4].Service != "" {
		t.Errorf("closed and filtered ports: %+v %+v %+v", res[2], res[3], res[4])
	}
}
