package lease

import (
	"syscall"

	"github.com/portolan-dev/portolan"
)

// Bindable reports whether port p binds on the wildcard address of both
// families for proto (TCP, UDP, or both for ProtoAny). Each socket is bound
// and closed at once: a check only, it reserves nothing. SO_REUSEADDR is not
// set, so a port that any socket holds, on any address and in any state
// (TIME_WAIT included), fails the check. A family the host lacks is skipped.
func Bindable(p portolan.Port, proto portolan.Proto) bool {
	if proto == portolan.ProtoAny || proto == portolan.TCP {
		if !bindOne(syscall.AF_INET, syscall.SOCK_STREAM, p) || !bindOne(syscall.AF_INET6, syscall.SOCK_STREAM, p) {
			return false
		}
	}
	if proto == portolan.ProtoAny || proto == portolan.UDP {
		if !bindOne(syscall.AF_INET, syscall.SOCK_DGRAM, p) || !bindOne(syscall.AF_INET6, syscall.SOCK_DGRAM, p) {
			return false
		}
	}
	return true
}

func bindOne(family, typ int, p portolan.Port) bool {
	fd, err := syscall.Socket(family, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		// No such family on this host (IPv6 disabled): nothing to collide with.
		return err == syscall.EAFNOSUPPORT || err == syscall.EPROTONOSUPPORT
	}
	defer syscall.Close(fd)
	var sa syscall.Sockaddr
	if family == syscall.AF_INET6 {
		// Check [::] on its own; the IPv4 wildcard is checked separately.
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
		sa = &syscall.SockaddrInet6{Port: int(p)}
	} else {
		sa = &syscall.SockaddrInet4{Port: int(p)}
	}
	return syscall.Bind(fd, sa) == nil
}
