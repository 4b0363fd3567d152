package holder

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// Command lines as docker-proxy runs on real hosts: Debian's 20.10 (what
// the container tests start), Docker 28 (-use-listen-fd), an IPv6 host
// address forwarding to an IPv4 container, UDP, and flags spelled -f=v.
var proxyArgv = [][]string{
	{"/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "18080", "-container-ip", "10.213.0.2", "-container-port", "8080"},
	{"/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "5432", "-container-ip", "172.17.0.3", "-container-port", "5432", "-use-listen-fd"},
	{"/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "::", "-host-port", "8443", "-container-ip", "172.18.0.2", "-container-port", "443"},
	{"/usr/libexec/docker/docker-proxy", "-proto", "udp", "-host-ip", "0.0.0.0", "-host-port", "53", "-container-ip", "172.17.0.5", "-container-port", "53"},
	{"docker-proxy", "--proto=tcp", "--host-ip=127.0.0.1", "--host-port=3000", "--container-ip=fd00::2", "--container-port=3000"},
}

func TestParseProxy(t *testing.T) {
	want := []portolan.Published{
		{Via: "docker-proxy", Proto: portolan.TCP, Host: "127.0.0.1:18080", Target: "10.213.0.2:8080"},
		{Via: "docker-proxy", Proto: portolan.TCP, Host: "0.0.0.0:5432", Target: "172.17.0.3:5432"},
		{Via: "docker-proxy", Proto: portolan.TCP, Host: "[::]:8443", Target: "172.18.0.2:443"},
		{Via: "docker-proxy", Proto: portolan.UDP, Host: "0.0.0.0:53", Target: "172.17.0.5:53"},
		{Via: "docker-proxy", Proto: portolan.TCP, Host: "127.0.0.1:3000", Target: "[fd00::2]:3000"},
	}
	for i, argv := range proxyArgv {
		got := ParseProxy(argv)
		if got == nil || *got != want[i] {
			t.Errorf("ParseProxy(%q) = %+v, want %+v", argv, got, want[i])
		}
	}
	for _, bad := range [][]string{
		nil,
		{"docker-proxy"},
		{"docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "18080", "-container-ip", "10.213.0.2"},
		{"docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "0", "-container-ip", "10.213.0.2", "-container-port", "80"},
		{"docker-proxy", "-proto", "tcp", "-host-ip", "localhost", "-host-port", "80", "-container-ip", "10.213.0.2", "-container-port", "80"},
		{"docker-proxy", "-proto", "icmp", "-host-ip", "127.0.0.1", "-host-port", "80", "-container-ip", "10.213.0.2", "-container-port", "80"},
		{"docker-proxy", "-proto", "tcp", "-host-ip", "fe80::1%eth0", "-host-port", "80", "-container-ip", "10.213.0.2", "-container-port", "70000"},
	} {
		if got := ParseProxy(bad); got != nil {
			t.Errorf("ParseProxy(%q) = %+v, want nil", bad, got)
		}
	}
}

// Whatever the command line, a result names addresses and ports that are
// in it, and parses back.
func FuzzParseProxy(f *testing.F) {
	for _, argv := range proxyArgv {
		f.Add(strings.Join(argv, "\x00"))
	}
	f.Fuzz(func(t *testing.T, cmdline string) {
		argv := strings.Split(cmdline, "\x00")
		p := ParseProxy(argv)
		if p == nil {
			return
		}
		for _, s := range []string{p.Host, p.Target} {
			ap, err := netip.ParseAddrPort(s)
			if err != nil || ap.Port() == 0 {
				t.Fatalf("%q from %q: %v", s, argv, err)
			}
			if !strings.Contains(cmdline, ap.Addr().Unmap().String()) && !strings.Contains(cmdline, ap.Addr().String()) {
				t.Fatalf("address %s not in %q", ap.Addr(), argv)
			}
		}
		if p.Proto == portolan.ProtoAny || p.Via != "docker-proxy" {
			t.Fatalf("%+v from %q", p, argv)
		}
	})
}

func TestContainerLabel(t *testing.T) {
	id := strings.Repeat("3f2a9c1b", 8)
	for _, c := range []struct {
		h    portolan.Holder
		want string
	}{
		{portolan.Holder{Container: &portolan.Container{Engine: "docker", ID: id}}, "container docker 3f2a9c1b3f2a"},
		{portolan.Holder{Container: &portolan.Container{Engine: "docker", ID: id, Name: "shop-api-1", Compose: &portolan.Compose{Project: "shop", Service: "api"}}},
			"container shop-api-1 (compose shop/api)"},
		{portolan.Holder{Container: &portolan.Container{Engine: "docker", ID: id, Name: "web", Restart: "always"},
			Supervisor: &portolan.Supervisor{PID: 40, Kind: "docker", Stop: "docker stop web"}}, "container web restart always"},
		{portolan.Holder{Published: &portolan.Published{Via: "docker-proxy", Target: "10.213.0.2:8080",
			Container: &portolan.Container{Engine: "docker", ID: id, Name: "shop-api-1", Compose: &portolan.Compose{Project: "shop", Service: "api"}}}},
			"container shop-api-1 (compose shop/api) published to 10.213.0.2:8080"},
		{portolan.Holder{Published: &portolan.Published{Via: "docker-proxy", Target: "10.213.0.2:8080"}}, "container at 10.213.0.2:8080 (published by docker-proxy)"},
		{portolan.Holder{Published: &portolan.Published{Via: "docker-proxy", Target: "10.213.0.2:8080", Container: &portolan.Container{Engine: "docker", NoEngine: "no docker socket"}}},
			"container at 10.213.0.2:8080 (published by docker-proxy)"},
	} {
		if got := Label(c.h); got != c.want {
			t.Errorf("Label(%+v) = %q, want %q", c.h, got, c.want)
		}
	}
}
