package portolan_test

import (
	"encoding/json"
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want portolan.Port
		err  string
	}{
		{"0", 0, ""},
		{"80", 80, ""},
		{"443", 443, ""},
		{"065535", 65535, ""},
		{"65535", 65535, ""},
		{"65536", 0, "port 65536 is out of range 0-65535"},
		{"70000", 0, "port 70000 is out of range 0-65535"},
		{"99999999999999999999", 0, "port 99999999999999999999 is out of range 0-65535"},
		{"", 0, "empty port: want a number 0-65535"},
		{"-1", 0, "port -1 is out of range 0-65535"},
		{"-", 0, `port "-" is not a number: want 0-65535`},
		{"+1", 0, `port "+1" is not a number: want 0-65535`},
		{" 80", 0, `port " 80" is not a number: want 0-65535`},
		{"http", 0, `port "http" is not a number: want 0-65535`},
	} {
		got, err := portolan.ParsePort(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePort(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			if portolan.ErrorCode(err) != portolan.EINVALID {
				t.Errorf("ParsePort(%q) code = %q, want EINVALID", tc.in, portolan.ErrorCode(err))
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePort(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParsePortAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() { _, _ = portolan.ParsePort("8080") })
	if n != 0 {
		t.Fatalf("ParsePort allocates %v times, want 0", n)
	}
}

func TestPortClass(t *testing.T) {
	for _, tc := range []struct {
		p     portolan.Port
		class portolan.Class
		title string
	}{
		{0, portolan.System, "well-known/system"},
		{80, portolan.System, "well-known/system"},
		{1023, portolan.System, "well-known/system"},
		{1024, portolan.User, "registered/user"},
		{1433, portolan.User, "registered/user"},
		{49151, portolan.User, "registered/user"},
		{49152, portolan.Dynamic, "dynamic/private/ephemeral"},
		{65535, portolan.Dynamic, "dynamic/private/ephemeral"},
	} {
		if c := tc.p.Class(); c != tc.class || c.Title() != tc.title {
			t.Errorf("%d: class %v (%s), want %v (%s)", tc.p, c, c.Title(), tc.class, tc.title)
		}
		if !tc.class.Range().Contains(tc.p) {
			t.Errorf("%v.Range() %v does not contain %d", tc.class, tc.class.Range(), tc.p)
		}
	}
	total := 0
	for _, c := range portolan.Classes {
		total += c.Range().Len()
		for _, n := range c.Names() {
			if got, err := portolan.ParseClass(n); err != nil || got != c {
				t.Errorf("ParseClass(%q) = %v, %v; want %v", n, got, err, c)
			}
		}
	}
	if total != 65536 {
		t.Fatalf("classes cover %d ports, want 65536", total)
	}
}

func TestTextRoundTrip(t *testing.T) {
	type doc struct {
		Port  portolan.Port   `json:"port"`
		Proto portolan.Proto  `json:"proto"`
		Range portolan.Range  `json:"range"`
		Class portolan.Class  `json:"class"`
		St    portolan.Status `json:"status"`
	}
	in := doc{443, portolan.UDP, portolan.MustParseRange("6000-6063"), portolan.Dynamic, portolan.Alias}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"port":443,"proto":"udp","range":"6000-6063","class":"dynamic","status":"alias"}`; string(b) != want {
		t.Fatalf("marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("unmarshal = %+v, %v; want %+v", out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"port":70000}`), &out); err == nil {
		t.Fatal("unmarshal of port 70000 succeeded")
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"0", "80", "65535", "65536", "", "-1", "1e3", "0x50", "00000000000000080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := portolan.ParsePort(s)
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID {
				t.Fatalf("ParsePort(%q): code %q", s, portolan.ErrorCode(err))
			}
			return
		}
		q, err := portolan.ParsePort(p.String())
		if err != nil || q != p {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, p, q, err)
		}
	})
}
