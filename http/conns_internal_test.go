package http

import (
	"net"
	"net/netip"
	"testing"
)

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:1":             "::1",
		"127.9.8.7:1":             "::1", // any of 127/8 is the same local client
		"[::1]:1":                 "::1",
		"[::ffff:127.0.0.2]:1":    "::1",
		"10.0.0.1:1":              "10.0.0.1",
		"[::ffff:10.0.0.2]:1":     "10.0.0.2",
		"[2001:db8:1:2:a::1]:1":   "2001:db8:1:2::", // a /64 is one client
		"[2001:db8:1:2:ffff::]:1": "2001:db8:1:2::",
		"[2001:db8:1:3::1]:1":     "2001:db8:1:3::",
		"[fe80::1%eth0]:1":        "fe80::",
	} {
		ap := netip.MustParseAddrPort(in)
		if got := clientKey(net.TCPAddrFromAddrPort(ap)); got.String() != want {
			t.Errorf("clientKey(%s) = %s, want %s", in, got, want)
		}
	}
}
