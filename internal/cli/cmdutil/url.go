package cmdutil

import (
	"net/netip"
	"net/url"
)

// IsLoopbackURL reports whether a server URL names this host (localhost or
// a loopback address): such a server shares this host's processes and
// this user's token file.
func IsLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}
