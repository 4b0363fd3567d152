package portolan_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// knowledge is a registry of a few fixed records and common uses.
type knowledge struct {
	recs []portolan.Service
	uses []portolan.CommonUse
}

func (k knowledge) ByPort(p portolan.Port, proto portolan.Proto) []portolan.Service {
	var out []portolan.Service
	for _, r := range k.recs {
		if r.HasPort && r.Ports.Contains(p) && proto.Matches(r.Proto) {
			out = append(out, r)
		}
	}
	return out
}

func (k knowledge) ByName(name string) []portolan.Service {
	var out []portolan.Service
	for _, r := range k.recs {
		if strings.EqualFold(r.Name, name) {
			out = append(out, r)
		}
	}
	return out
}

func (k knowledge) CommonUses(p portolan.Port) []portolan.CommonUse {
	var out []portolan.CommonUse
	for _, c := range k.uses {
		if c.Ports.Contains(p) {
			out = append(out, c)
		}
	}
	return out
}

func (k knowledge) CommonUsesNamed(name string) []portolan.CommonUse {
	var out []portolan.CommonUse
	for _, c := range k.uses {
		if strings.EqualFold(c.Name, name) {
			out = append(out, c)
		}
	}
	return out
}

func (knowledge) Updated() string { return "2026-08-17" }

var (
	x11    = portolan.Service{Name: "x11", Proto: portolan.TCP, Ports: portolan.MustParseRange("6000-6063"), HasPort: true}
	x11u   = portolan.Service{Name: "x11", Proto: portolan.UDP, Ports: portolan.MustParseRange("6000-6063"), HasPort: true}
	hbci   = portolan.Service{Name: "hbci", Proto: portolan.UDP, Ports: portolan.SinglePort(3000), HasPort: true}
	node   = portolan.CommonUse{Name: "node-dev", Proto: portolan.TCP, Ports: portolan.SinglePort(3000)}
	xwin   = portolan.CommonUse{Name: "x11", Proto: portolan.TCP, Ports: portolan.SinglePort(6000)}
	lookup = func(socks []portolan.Socket, assigns []portolan.Assignment) *portolan.Lookup {
		host := portolan.HostRanges{Ephemeral: portolan.MustParseRange("32768-60999"), UnprivilegedStart: 1024}
		return &portolan.Lookup{
			Registry: knowledge{recs: []portolan.Service{x11, x11u, hbci}, uses: []portolan.CommonUse{node, xwin}},
			Host:     &host,
			Sockets: func(_ context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
				var out []portolan.Socket
				for _, s := range socks {
					if r.Contains(portolan.Port(s.Local.Port())) && proto.Matches(s.Proto) {
						out = append(out, s)
					}
				}
				return out, nil
			},
			Assignments: func(context.Context) ([]portolan.Assignment, error) { return assigns, nil },
		}
	}
)

func TestLookupRange(t *testing.T) {
	l := lookup(nil, nil)
	a, err := l.Answer(context.Background(), portolan.Query{Ports: portolan.MustParseRange("5999-6010"), Proto: portolan.TCP})
	if err != nil {
		t.Fatal(err)
	}
	// x11/tcp covers every port of the range but is listed once; x11/udp
	// and the UDP-only answers are left out.
	if len(a.Records) != 1 || a.Records[0].Proto != portolan.TCP || a.Records[0].Name != "x11" || len(a.CommonUses) != 1 || a.CommonUses[0].Name != "x11" {
		t.Errorf("records %v, common uses %v", a.Records, a.CommonUses)
	}
	if a.Class.Class != portolan.User || a.Host == nil || a.Host.InEphemeral || a.Host.NeedsPrivilege || a.RegistryUpdated != "2026-08-17" {
		t.Errorf("class %v, host %+v", a.Class, a.Host)
	}
	// 3000/udp: the UDP record, not the TCP common use.
	a, _ = l.Answer(context.Background(), portolan.Query{Ports: portolan.SinglePort(3000), Proto: portolan.UDP})
	if len(a.Records) != 1 || len(a.CommonUses) != 0 {
		t.Errorf("3000/udp: records %v, common uses %v", a.Records, a.CommonUses)
	}
	if _, err := l.Answer(context.Background(), portolan.Query{Ports: portolan.MustParseRange("0-4096")}); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("a 4,097-port range: %v; want EINVALID", err)
	}
}

func TestLookupName(t *testing.T) {
	sock := portolan.Socket{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:6000"), State: portolan.StateListen, Inode: 7}
	billing := portolan.Assignment{Port: 8088, Proto: portolan.TCP, Name: "billing-api"}
	onX := portolan.Assignment{Port: 6001, Proto: portolan.TCP, Name: "xvfb"}
	l := lookup([]portolan.Socket{sock}, []portolan.Assignment{billing, onX})
	// x11's records (6000-6063) and its common use (6000) both reach the
	// listener on 6000: it is listed once.
	a, err := l.Answer(context.Background(), portolan.Query{Name: "X11"})
	if err != nil || a.NotFound() != nil {
		t.Fatal(err, a.NotFound())
	}
	if len(a.Records) != 2 || len(a.CommonUses) != 1 || len(a.Sockets) != 1 || len(a.Assignments) != 1 || a.Assignments[0] != onX || a.Ports != nil || a.Host != nil {
		t.Errorf("x11: %+v", a)
	}
	a, _ = l.Answer(context.Background(), portolan.Query{Name: "Billing-API"})
	if a.NotFound() != nil || len(a.Assignments) != 1 || a.Assignments[0] != billing {
		t.Errorf("an assignment's name: %+v", a)
	}
	a, _ = l.Answer(context.Background(), portolan.Query{Name: "billing-api", Proto: portolan.UDP})
	if err := a.NotFound(); portolan.ErrorCode(err) != portolan.ENOTFOUND ||
		portolan.ErrorMessage(err) != `no service named "billing-api" in IANA's registry (2026-08-17), the common uses or the assignments` {
		t.Errorf("billing-api/udp: %v", err)
	}
}

func TestParseQueries(t *testing.T) {
	for in, want := range map[string]string{
		":8080":             "8080",
		"80,443":            "80 443",
		"22,ssh,:8443/tcp":  "22 ssh 8443/tcp",
		"https":             "https",
		"6000-6010/udp,x11": "6000-6010/udp x11",
		"80,,443":           `query list "80,,443" has an empty item: want items separated by single commas, e.g. 80,443,https`,
		"80,":               `query list "80," has an empty item: want items separated by single commas, e.g. 80,443,https`,
		"80,70000":          "port 70000 is out of range 0-65535",
		"::80":              ":80", // one colon comes off; the rest is a name (that matches nothing)
	} {
		qs, err := portolan.ParseQueries(in)
		var got []string
		for _, q := range qs {
			got = append(got, q.String())
		}
		if err != nil {
			got = []string{portolan.ErrorMessage(err)}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("ParseQueries(%q) = %q; want %q", in, strings.Join(got, " "), want)
		}
	}
}

func FuzzParseQueries(f *testing.F) {
	for _, s := range []string{"443", ":8080", "80,443,https", "6000-6010/udp", ",", "::", "a,b/tcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		qs, err := portolan.ParseQueries(s)
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID {
				t.Fatalf("%q: %v is not EINVALID", s, err)
			}
			return
		}
		// Each query reads back as itself.
		for _, q := range qs {
			back, err := portolan.ParseQuery(q.String())
			if err != nil || back != q {
				t.Fatalf("%q: %v reads back as %v, %v", s, q, back, err)
			}
		}
	})
}
