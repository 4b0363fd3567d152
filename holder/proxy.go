package holder

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
)

// ParseProxy reads the command line of docker-proxy, the userland proxy
// Docker starts for each published port ("docker-proxy -proto tcp
// -host-ip 127.0.0.1 -host-port 18080 -container-ip 10.213.0.2
// -container-port 8080"; flags also as -flag=value or --flag). It returns
// nil unless the protocol, both addresses and both ports are there and
// valid.
func ParseProxy(argv []string) *portolan.Published {
	if len(argv) == 0 {
		return nil
	}
	v := map[string]string{}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if n, val, ok := strings.Cut(name, "="); ok {
			v[n] = val
			continue
		}
		switch name {
		case "proto", "host-ip", "host-port", "container-ip", "container-port":
			if i+1 < len(argv) {
				v[name] = argv[i+1]
				i++
			}
		}
	}
	proto, err := portolan.ParseProto(v["proto"])
	if err != nil || proto == portolan.ProtoAny {
		return nil
	}
	host, ok := addrPort(v["host-ip"], v["host-port"])
	if !ok {
		return nil
	}
	target, ok := addrPort(v["container-ip"], v["container-port"])
	if !ok {
		return nil
	}
	return &portolan.Published{Via: "docker-proxy", Proto: proto, Host: host.String(), Target: target.String()}
}

// addrPort joins an address and a port 1-65535.
func addrPort(ip, port string) (netip.AddrPort, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return netip.AddrPort{}, false
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(p)), true
}
