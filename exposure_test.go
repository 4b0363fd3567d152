package portolan

import (
	"net/netip"
	"testing"
)

func TestReachOf(t *testing.T) {
	lan := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("::1"), netip.MustParseAddr("fe80::1")}
	pub := append(lan, netip.MustParseAddr("2001:db8::1"))
	for _, c := range []struct {
		addr  string
		addrs []netip.Addr
		want  Reach
	}{
		{"127.0.0.1", pub, ReachLoopback},
		{"::1", pub, ReachLoopback},
		{"10.1.2.3", pub, ReachLAN},
		{"fe80::1", pub, ReachLAN},
		{"0.0.0.0", lan, ReachLAN},
		{"0.0.0.0", pub, ReachLAN}, // the public address is IPv6
		{"::", pub, ReachAll},
		{"::", lan, ReachLAN},
		{"0.0.0.0", []netip.Addr{netip.MustParseAddr("127.0.0.1")}, ReachLoopback},
		{"203.0.113.9", lan, ReachAll},
	} {
		if got := ReachOf(netip.MustParseAddr(c.addr), c.addrs); got != c.want {
			t.Errorf("ReachOf(%s) = %s; want %s", c.addr, got, c.want)
		}
	}
	if (Exposure{Reach: ReachLAN, Firewall: "unknown"}).Exposed() != true || (Exposure{Reach: ReachAll, Firewall: "deny"}).Exposed() {
		t.Error("Exposed: unknown must count as exposed, deny as not")
	}
}
