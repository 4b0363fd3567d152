//go:build !linux

package registry

import (
	"runtime"

	"github.com/portolan-dev/portolan"
)

// Host returns the documented defaults of this operating system; portolan
// reads the real values only on Linux, and Defaults says so.
func Host() (HostRanges, error) { return defaultHost(), nil }

func defaultHost() HostRanges {
	h := HostRanges{Ephemeral: portolan.Range{Lo: 49152, Hi: 65535}, Reserved: []portolan.Range{}, UnprivilegedStart: 1024, Defaults: true}
	switch runtime.GOOS {
	case "darwin":
		h.Source = "macOS default: net.inet.ip.portrange.first 49152, last 65535"
		h.UnprivilegedStart = 0 // macOS 10.14+ lets any user bind ports below 1024
	case "freebsd":
		h.Ephemeral.Lo = 10000
		h.Source = "FreeBSD default: net.inet.ip.portrange.first 10000, last 65535"
	case "windows":
		h.UnprivilegedStart = 0
		h.Source = "Windows default dynamic range 49152-65535 (netsh int ipv4 show dynamicport tcp); excluded blocks not read"
	default:
		h.Source = "RFC 6335 dynamic range 49152-65535 (the usual BSD default)"
	}
	return h
}
