//go:build !linux

package lease

import (
	"net"
	"strconv"

	"github.com/portolan-dev/portolan"
)

// Bindable reports whether port p binds on the wildcard address of both
// families for proto. Outside Linux it uses the net package, which sets
// SO_REUSEADDR on TCP listeners, so the check is weaker.
func Bindable(p portolan.Port, proto portolan.Proto) bool {
	port := strconv.Itoa(int(p))
	for _, addr := range []string{"0.0.0.0:" + port, "[::]:" + port} {
		if proto == portolan.ProtoAny || proto == portolan.TCP {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return false
			}
			ln.Close()
		}
		if proto == portolan.ProtoAny || proto == portolan.UDP {
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return false
			}
			c.Close()
		}
	}
	return true
}
