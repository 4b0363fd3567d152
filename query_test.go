package portolan_test

import (
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		name     bool
		err      string
	}{
		{"443", "443", false, ""},
		{"53/udp", "53/udp", false, ""},
		{"53/UDP", "53/udp", false, ""},
		{"https", "https", true, ""},
		{"XmlIpcRegSvc/tcp", "XmlIpcRegSvc/tcp", true, ""},
		{"whois++", "whois++", true, ""},
		{"6000-6010", "6000-6010", false, ""},
		{"6000-6010/tcp", "6000-6010/tcp", false, ""},
		{"70000", "", false, "port 70000 is out of range 0-65535"},
		{"80/foo", "", false, `protocol "foo" in "80/foo" is not one of tcp, udp, sctp, dccp`},
		{"", "", false, "empty query: want a port (443), a range (6000-6010), a name (https), optionally with /tcp, /udp, /sctp or /dccp"},
		{"/tcp", "", false, `query "/tcp" has no port or name before the slash`},
		{"6010-6000", "", false, `range "6010-6000" is backwards: want LO-HI with LO <= HI`},
		{"80/", "", false, `protocol "" in "80/" is not one of tcp, udp, sctp, dccp`},
		{"a b", "", false, `service name "a b" has a character that is not printable ASCII (or is a space or slash)`},
		// IANA names may start with a digit; digits and hyphens alone are ports.
		{"9pfs", "9pfs", true, ""},
		{"3com-tsmux/udp", "3com-tsmux/udp", true, ""},
		{"-1", "", false, "port -1 is out of range 0-65535"},
		{"-", "", false, `range "-" is missing a port: want LO-HI within 0-65535, e.g. 6000-6010`},
		{"5-", "", false, `range "5-" is missing a port: want LO-HI within 0-65535, e.g. 6000-6010`},
		{"-80/tcp", "", false, "port -80 is out of range 0-65535"},
	} {
		q, err := portolan.ParseQuery(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || portolan.ErrorCode(err) != portolan.EINVALID {
				t.Errorf("ParseQuery(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || q.String() != tc.want || q.IsName() != tc.name {
			t.Errorf("ParseQuery(%q) = %v (name %v), %v; want %s (name %v)", tc.in, q, q.IsName(), err, tc.want, tc.name)
		}
	}
}

func TestRange(t *testing.T) {
	r := portolan.MustParseRange("6000-6063")
	if !r.Contains(6010) || r.Contains(6064) || r.Len() != 64 || r.IsSingle() {
		t.Fatalf("range %v misbehaves", r)
	}
	eph := portolan.MustParseRange("32768-60999")
	got, ok := eph.Intersect(portolan.User.Range())
	if !ok || got.String() != "32768-49151" {
		t.Fatalf("ephemeral ∩ user = %v, %v; want 32768-49151", got, ok)
	}
	if _, ok := portolan.MustParseRange("1-10").Intersect(portolan.MustParseRange("11-20")); ok {
		t.Fatal("disjoint ranges intersect")
	}
}

func TestErrors(t *testing.T) {
	err := portolan.Errorf(portolan.ECONFLICT, "port %d is taken", 5432)
	if portolan.ErrorCode(err) != portolan.ECONFLICT || portolan.ErrorMessage(err) != "port 5432 is taken" {
		t.Fatalf("code/message = %q/%q", portolan.ErrorCode(err), portolan.ErrorMessage(err))
	}
	if portolan.ErrorCode(nil) != "" || portolan.ErrorMessage(nil) != "" {
		t.Fatal("nil error has a code or message")
	}
	plain := errSentinel("disk on fire")
	if portolan.ErrorCode(plain) != portolan.EINTERNAL || portolan.ErrorMessage(plain) != "internal error" {
		t.Fatal("internal errors leak their text")
	}
}

type errSentinel string

func (e errSentinel) Error() string { return string(e) }

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"443", "53/udp", "https", "6000-6010", "6000-6010/sctp", "", "/", "80/foo", "a/b/c", "whois++", "0-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := portolan.ParseQuery(s)
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID {
				t.Fatalf("ParseQuery(%q): code %q", s, portolan.ErrorCode(err))
			}
			return
		}
		q2, err := portolan.ParseQuery(q.String())
		if err != nil || q2 != q {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, q, q2, err)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"1-2", "80", "65535-65535", "0-65535", "5-1", "-", "1-", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := portolan.ParseRange(s)
		if err != nil {
			return
		}
		if r.Lo > r.Hi {
			t.Fatalf("ParseRange(%q) = %v backwards", s, r)
		}
		r2, err := portolan.ParseRange(r.String())
		if err != nil || r2 != r {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, r, r2, err)
		}
	})
}
