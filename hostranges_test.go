package portolan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseHostFiles(t *testing.T) {
	r, err := ParsePortRange("32768\t60999\n")
	if err != nil || r != (Range{Lo: 32768, Hi: 60999}) {
		t.Errorf("port range: %v %v", r, err)
	}
	for _, bad := range []string{"", "1", "60999 32768", "1 70000", "a b"} {
		if _, err := ParsePortRange(bad); err == nil {
			t.Errorf("ParsePortRange(%q) accepted", bad)
		}
	}
	rs, err := ParseReservedPorts("9000-9010, 8080\n")
	if err != nil || len(rs) != 2 || rs[0] != SinglePort(8080) || rs[1] != (Range{Lo: 9000, Hi: 9010}) {
		t.Errorf("reserved (sorted): %v %v", rs, err)
	}
	if rs, err := ParseReservedPorts("\n"); err != nil || rs == nil || len(rs) != 0 {
		t.Errorf("empty reserved: %#v %v", rs, err)
	}
	// None reserved is an empty list to a JSON reader, not null.
	for _, h := range []HostRanges{{Reserved: must(ParseReservedPorts(""))}, DefaultHostRanges("linux"), DefaultHostRanges("plan9")} {
		if b, _ := json.Marshal(h); !strings.Contains(string(b), `"reserved":[]`) {
			t.Errorf("JSON %s, want \"reserved\":[]", b)
		}
	}
	if _, err := ParseReservedPorts("80,x"); err == nil {
		t.Error("bad reserved list accepted")
	}
	if p, err := ParseUnprivilegedStart("1024\n"); err != nil || p != 1024 {
		t.Errorf("unprivileged: %v %v", p, err)
	}
	for _, bad := range []string{"-1", "65536", "", "x"} {
		if _, err := ParseUnprivilegedStart(bad); err == nil {
			t.Errorf("unprivileged start %q accepted", bad)
		}
	}
}

// TestDefaultHostRanges pins each system's documented defaults. lease and
// registry used to disagree here (lease took 49152-65535 everywhere, also
// for Linux without /proc; FreeBSD's 10000 was registry's alone).
func TestDefaultHostRanges(t *testing.T) {
	for _, c := range []struct {
		goos      string
		eph       string
		unpriv    Port
		sourceHas string
	}{
		{"linux", "32768-60999", 1024, "ip_local_port_range 32768 60999"},
		{"darwin", "49152-65535", 0, "net.inet.ip.portrange.first 49152"},
		{"freebsd", "10000-65535", 1024, "net.inet.ip.portrange.first 10000"},
		{"netbsd", "49152-65535", 1024, "anonportmin 49152"},
		{"openbsd", "1024-49151", 1024, "portfirst 1024"},
		{"windows", "49152-65535", 0, "49152-65535"},
		{"illumos", "32768-65535", 1024, "tcp_smallest_anon_port 32768"},
		{"dragonfly", "49152-65535", 1024, "not read from dragonfly"},
	} {
		h := DefaultHostRanges(c.goos)
		if h.Ephemeral != MustParseRange(c.eph) || h.UnprivilegedStart != c.unpriv || !h.Defaults || !strings.Contains(h.Source, c.sourceHas) || h.Reserved == nil {
			t.Errorf("%s: %+v, want %s, unprivileged from %d, source with %q", c.goos, h, c.eph, c.unpriv, c.sourceHas)
		}
	}
	h := DefaultHostRanges("linux")
	if !h.InEphemeral(32768) || h.InEphemeral(61000) || !h.NeedsPrivilege(1023) || h.NeedsPrivilege(1024) || h.InReserved(8080) {
		t.Errorf("linux defaults: %+v", h)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
