package lease_test

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func TestParsePool(t *testing.T) {
	cases := []struct {
		in   string
		want string
		err  string
	}{
		{"", "1024-49151", ""},
		{"user", "1024-49151", ""},
		{"dynamic", "49152-65535", ""},
		{"20000-20010", "20000-20010", ""},
		{"0-10", "1-10", ""},
		{"private", "", `pool "private" is not one of user, dynamic or LO-HI`},
		{"9-1", "", `pool "9-1" is not one of user, dynamic or LO-HI within 1-65535`},
		{"1-70000", "", "within 1-65535"},
	}
	for _, c := range cases {
		r, err := lease.ParsePool(c.in)
		if c.err != "" {
			if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePool(%q) error = %v, want EINVALID containing %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || r.String() != c.want {
			t.Errorf("ParsePool(%q) = %v, %v; want %s", c.in, r, err, c.want)
		}
	}
}

func TestOwnerOfSelf(t *testing.T) {
	o, err := lease.OwnerOf(portolanPID())
	if err != nil || o.Start == 0 {
		t.Fatalf("OwnerOf(self) = %+v, %v; want a start tick", o, err)
	}
	if !lease.Alive(o) {
		t.Error("Alive(self) = false")
	}
	if lease.Alive(lease.Owner{PID: o.PID, Start: o.Start + 1}) {
		t.Error("a different start tick on our PID counts as alive: a reused PID would inherit")
	}
	if _, err := lease.OwnerOf(0); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("OwnerOf(0) error = %v, want EINVALID", err)
	}
	if _, err := lease.OwnerOf(1 << 30); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("OwnerOf(huge) error = %v, want ENOTFOUND", err)
	}
}

func TestReservedFormat(t *testing.T) {
	ps := []portolan.Port{9, 5, 6, 7, 100, 7, 101, 200}
	if got, want := lease.FormatReserved(ps), "5-7,9,100-101,200"; got != want {
		t.Errorf("FormatReserved = %q, want %q", got, want)
	}
	rs, err := lease.ParseReserved("200, 5-7,9\n")
	if err != nil || len(rs) != 3 || rs[0].String() != "5-7" || rs[2].String() != "200" {
		t.Errorf("ParseReserved = %v, %v", rs, err)
	}
	if rs, err := lease.ParseReserved("\n"); err != nil || len(rs) != 0 {
		t.Errorf("ParseReserved(empty) = %v, %v", rs, err)
	}
	if _, err := lease.ParseReserved("5,x"); err == nil {
		t.Error("ParseReserved accepted garbage")
	}
}

func FuzzParseReserved(f *testing.F) {
	f.Add("5-7,9,100")
	f.Add("")
	f.Add("65535,0-1")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := lease.ParseReserved(s)
		if err != nil {
			return
		}
		var ps []portolan.Port
		for _, r := range rs {
			if r.Len() > 2000 {
				return
			}
			for p := int(r.Lo); p <= int(r.Hi); p++ {
				ps = append(ps, portolan.Port(p))
			}
		}
		again, err := lease.ParseReserved(lease.FormatReserved(ps))
		if err != nil {
			t.Fatalf("FormatReserved output does not parse: %v", err)
		}
		n := 0
		for _, r := range again {
			n += r.Len()
		}
		seen := map[portolan.Port]bool{}
		for _, p := range ps {
			seen[p] = true
		}
		if n != len(seen) {
			t.Errorf("round trip of %q holds %d ports, want %d", s, n, len(seen))
		}
	})
}

func FuzzParsePortserverPID(f *testing.F) {
	for _, s := range []string{"1234", " 42 ", "", "-1", "0x10", "99999999999999999999", "12\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pid, ok := lease.ParsePortserverPID(b)
		if ok && (pid < 0 || len(b) > 20) {
			t.Errorf("ParsePortserverPID(%q) = %d, accepted", b, pid)
		}
	})
}
