package probe

import (
	"net"
	"sync"
)

// DefaultConcurrency is the most connects a scan keeps in flight unless
// told otherwise: the descriptor limit (raised soft to hard) less room for
// everything else the process holds, capped at 16384 so a scan never needs
// more source ports than a default ephemeral range offers.
var DefaultConcurrency = sync.OnceValue(func() int {
	return max(16, min(RaiseNoFile()-256, maxWindow))
})

// zoneID maps an IPv6 zone (interface name or index) to its index.
func zoneID(z string) uint32 {
	if ifi, err := net.InterfaceByName(z); err == nil {
		return uint32(ifi.Index)
	}
	var n uint32
	for i := 0; i < len(z); i++ {
		if z[i] < '0' || z[i] > '9' {
			return 0
		}
		n = n*10 + uint32(z[i]-'0')
	}
	return n
}
