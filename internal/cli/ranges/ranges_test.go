package ranges

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
)

func TestRanges(t *testing.T) {
	host := portolan.HostRanges{Ephemeral: portolan.Range{Lo: 32768, Hi: 60999}, Reserved: []portolan.Range{{Lo: 8080, Hi: 8080}},
		UnprivilegedStart: 1024, Defaults: true, Source: "test defaults"}
	run := func(tty, js bool) string {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		err := Run(&Options{IO: ios, JSON: js, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
			Host: func() (portolan.HostRanges, error) { return host, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	out := run(false, false)
	for _, want := range []string{"class\tsystem\t0-1023\twell-known/system\n", "class\tdynamic\t49152-65535\tdynamic/private/ephemeral\n",
		"host\tephemeral\t32768-60999\n", "host\treserved\t8080\n", "host\tdefaults\ttrue\n", "overlap\tuser\t32768-49151\t144\n", "overlap\tdynamic\t49152-60999\t0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("rows lack %q:\n%s", want, out)
		}
	}
	if out := run(true, false); !strings.Contains(out, "documented defaults, not read from this system") || !strings.Contains(out, "144 IANA-assigned User ports") {
		t.Errorf("table:\n%s", out)
	}
	var res Result
	if err := json.Unmarshal([]byte(run(false, true)), &res); err != nil || len(res.Classes) != 3 || res.Overlaps[0].AssignedUserPorts != 144 || !res.Host.Defaults {
		t.Errorf("json %v %+v", err, res)
	}
}

// TestSameAsAPI: `ranges --json` and GET /v1/ranges are one document.
func TestSameAsAPI(t *testing.T) {
	host := registry.HostRanges{Ephemeral: portolan.Range{Lo: 32768, Hi: 60999}, Reserved: []portolan.Range{{Lo: 8080, Hi: 8080}},
		UnprivilegedStart: 1024, Source: "test"}
	reg := registry.Embedded()
	ios, _, out, _ := iostreams.Test()
	err := Run(&Options{IO: ios, JSON: true, Registry: func() (*registry.Registry, error) { return reg, nil },
		Host: func() (registry.HostRanges, error) { return host, nil }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Registry: reg, Host: porthttp.HostInfo{Ephemeral: host.Ephemeral,
		Reserved: host.Reserved, UnprivilegedStart: host.UnprivilegedStart, Source: host.Source}}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/ranges")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var cli, api any
	if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &api); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cli, api) {
		t.Errorf("ranges --json and /v1/ranges differ:\nCLI %s\nAPI %s", out, body)
	}
}
