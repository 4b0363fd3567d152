package probe

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// fakeResolver knows a few names, as the registry would answer them.
func fakeResolver(name string) ([]portolan.Port, error) {
	switch strings.ToLower(name) {
	case "ssh":
		return []portolan.Port{22}, nil
	case "https":
		return []portolan.Port{443}, nil
	case "http-alt":
		return []portolan.Port{591, 8008, 8080}, nil
	case "3com-tsmux":
		return []portolan.Port{106}, nil
	}
	return nil, portolan.Errorf(portolan.ENOTFOUND, "no %s", name)
}

func TestParsePorts(t *testing.T) {
	for _, c := range []struct {
		spec string
		want string
	}{
		{"22,80,443", "22,80,443"},
		{"443, 80,22,80", "22,80,443"},
		{"8000-8100", "8000-8100"},
		{"ssh,https", "22,443"},
		{"SSH", "22"},
		{"http-alt,3com-tsmux", "106,591,8008,8080"},
		{"-", "1-65535"},
		{"-1023", "1-1023"},
		{"65530-", "65530-65535"},
		{"22/tcp,80/TCP", "22,80"},
		{"1-3,2-5", "1-5"},
	} {
		got, err := ParsePorts(c.spec, fakeResolver)
		if err != nil || FormatPorts(got) != c.want {
			t.Errorf("ParsePorts(%q) = %s, %v; want %s", c.spec, FormatPorts(got), err, c.want)
		}
	}
	if n, _ := ParsePorts("-", nil); len(n) != 65535 {
		t.Errorf("- gives %d ports", len(n))
	}
}

func TestParsePortsErrors(t *testing.T) {
	for _, c := range []struct{ spec, token string }{
		{"", "empty port spec"},
		{"22,,80", "empty item"},
		{"70000", `"70000"`},
		{"0", `"0"`},
		{"0-10", `"0-10"`},
		{"90-80", `"90-80"`},
		{"1-2-3", `"1-2-3"`},
		{"22,nosuchservice", `"nosuchservice"`},
		{"22,f@o", `"f@o"`},
		{"53/udp", `"53/udp"`},
	} {
		_, err := ParsePorts(c.spec, fakeResolver)
		if err == nil || portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), c.token) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParsePorts(%q) = %v; want one-line EINVALID naming %s", c.spec, err, c.token)
		}
	}
	if _, err := ParsePorts("ssh", nil); err == nil || !strings.Contains(err.Error(), `"ssh"`) {
		t.Errorf("name without resolver: %v", err)
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"22,80,443", "8000-8100", "ssh,https", "-", "-1023", "1024-", "22/tcp", "", ",", "1-2-3", "65536", "0", "a-b", "http-alt", "  22 , 23 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ports, err := ParsePorts(spec, fakeResolver)
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error %v is not a one-line EINVALID", spec, err)
			}
			return
		}
		if len(ports) == 0 || !slices.IsSorted(ports) || ports[0] == 0 {
			t.Fatalf("%q: %v not sorted, empty or with port 0", spec, ports)
		}
		for i := 1; i < len(ports); i++ {
			if ports[i] == ports[i-1] {
				t.Fatalf("%q: duplicate %d", spec, ports[i])
			}
		}
		// The compact form parses back to the same set.
		again, err := ParsePorts(FormatPorts(ports), nil)
		if err != nil || !slices.Equal(again, ports) {
			t.Fatalf("%q: round trip via %q: %v", spec, FormatPorts(ports), err)
		}
	})
}

func FuzzParseHostPort(f *testing.F) {
	for _, s := range []string{"localhost:80", "[::1]:8080", "::1:80", "10.0.0.1:ssh,https", "host:", ":80", "[::1]", "[zz]:80", "a.b:1-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, err := ParseHostPort(s, fakeResolver)
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if hp.Host == "" || len(hp.Ports) == 0 {
			t.Fatalf("%q: empty host or ports: %+v", s, hp)
		}
	})
}

func TestParseHostPort(t *testing.T) {
	hp, err := ParseHostPort("[::1]:80,443", nil)
	if err != nil || hp.Host != "::1" || FormatPorts(hp.Ports) != "80,443" {
		t.Errorf("%+v %v", hp, err)
	}
	hp, err = ParseHostPort("db.internal:ssh", fakeResolver)
	if err != nil || hp.Host != "db.internal" || FormatPorts(hp.Ports) != "22" {
		t.Errorf("%+v %v", hp, err)
	}
	for _, bad := range []string{"::1:80", "localhost", ":80", "[::1]80", "host:99999", "h@st:80"} {
		if _, err := ParseHostPort(bad, fakeResolver); portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestParseTargets(t *testing.T) {
	ctx := context.Background()
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "dual.test" {
			return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::ffff:127.0.0.1")}, nil
		}
		return nil, portolan.Errorf(portolan.ENOTFOUND, "nx")
	}
	o := TargetOptions{Lookup: lookup}
	ts, err := ParseTargets(ctx, []string{"dual.test", "10.1.2.3", "[fe80::1%lo]", "192.0.2.0/30", "2001:db8::/126"}, o)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"::1", "127.0.0.1"}, {"10.1.2.3"}, {"fe80::1%lo"}, {"192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"}, {"2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"}}
	for i, tg := range ts {
		var got []string
		for _, a := range tg.Addrs {
			got = append(got, a.String())
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("%s: %v, want %v", tg.Name, got, want[i])
		}
	}
	if _, err := ParseTarget(ctx, "10.0.0.0/23", o); err == nil || !strings.Contains(err.Error(), "--allow-large") {
		t.Errorf("/23 without --allow-large: %v", err)
	}
	if tg, err := ParseTarget(ctx, "10.0.0.0/23", TargetOptions{AllowLarge: true}); err != nil || len(tg.Addrs) != 512 {
		t.Errorf("/23 with --allow-large: %v", err)
	}
	if _, err := ParseTarget(ctx, "10.0.0.0/8", TargetOptions{AllowLarge: true}); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("/8: %v", err)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "exa mple.com", "x/y", "[::1", "::1]", "[127.0.0.1]", "[]", "[example.com]"} {
		if _, err := ParseTarget(ctx, bad, o); portolan.ErrorCode(err) != portolan.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseTarget(ctx, "nx.test", o); portolan.ErrorCode(err) != portolan.ENOTFOUND || !strings.Contains(err.Error(), "nx.test") {
		t.Errorf("unresolvable: %v", err)
	}
}

func TestTop(t *testing.T) {
	ports, note, err := Top(10, "")
	if err != nil || !slices.Equal(ports[:3], []portolan.Port{22, 80, 443}) || len(ports) != 10 || !strings.Contains(note, "portolan") {
		t.Errorf("top 10: %v %q %v", ports, note, err)
	}
	all, _, _ := Top(65535, "portolan")
	var set PortSet
	for _, p := range all {
		if set.Has(p) || p == 0 {
			t.Fatalf("top 65535 repeats %d", p)
		}
		set.Add(p)
	}
	if len(all) != 65535 {
		t.Errorf("top 65535 has %d ports", len(all))
	}
	for _, p := range []portolan.Port{3000, 5173, 6443, 10250, 9200, 25565} {
		if !slices.Contains(all[:1000], p) {
			t.Errorf("today's port %d missing from the top 1000", p)
		}
	}
	if _, _, err := Top(0, ""); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("top 0: %v", err)
	}
	if _, _, err := Top(5, "masscan"); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("bad source: %v", err)
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable([]byte("SSH-2.0-OpenSSH\x1b[31m\t\xff\r\n")); got != `SSH-2.0-OpenSSH.[31m .` {
		t.Errorf("%q", got)
	}
	if got := Printable([]byte("220 a\r\n220 b\r\n")); got != `220 a\r\n220 b` {
		t.Errorf("%q", got)
	}
}

func TestPortSetAllocs(t *testing.T) {
	var s PortSet
	if n := testing.AllocsPerRun(100, func() { s.AddRange(portolan.Range{Lo: 1, Hi: 65535}); _ = s.Has(80) }); n != 0 {
		t.Errorf("PortSet allocates %v per run", n)
	}
}
