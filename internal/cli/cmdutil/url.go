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

// CheckServerURL refuses a server address (from --server or PORTOLAN_ADDR,
// after RemoteServer) that no request could reach, before anything is
// sent: otherwise an ftp:// address or a typo surfaced as net/http's
// "unsupported protocol scheme" with exit 1. "" (work locally) is fine. A
// path is kept as a prefix, for a server behind a reverse proxy.
func CheckServerURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return FlagErrorf("server address %q is not a URL: want http://HOST:PORT", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return FlagErrorf("server address %q is not an http or https URL: want http://HOST:PORT", raw)
	case u.Hostname() == "":
		return FlagErrorf("server address %q has no host: want http://HOST:PORT", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return FlagErrorf("server address %q has a query or fragment: want http://HOST:PORT", raw)
	}
	return nil
}
