package lease

import (
	"syscall"

	"github.com/portolan-dev/portolan"
)

// Bindable reports whether port p binds on the wildcard address of both
// families for proto (TCP, UDP, or both for ProtoAny). Each socket is bound
// and closed at once: a check only, it reserves nothing. An IPv6 socket with
// IPV6_V6ONLY off binds [::] and 0.0.0.0 together, so one bind per protocol
// meets a holder on any address of either family; without IPv6 the IPv4
// wildcard is bound instead. SO_REUSEADDR is not set, so a port that any
// socket holds, in any state (TIME_WAIT included), fails the check.
func Bindable(p portolan.Port, proto portolan.Proto) bool {
	if (proto == portolan.ProtoAny || proto == portolan.TCP) && !bindBoth(syscall.SOCK_STREAM, p) {
		return false
	}
	if (proto == portolan.ProtoAny || proto == portolan.UDP) && !bindBoth(syscall.SOCK_DGRAM, p) {
		return false
	}
	return true
}

// bindBoth binds [::]:p dual-stack, or 0.0.0.0:p on a host without IPv6.
func bindBoth(typ int, p portolan.Port) bool {
	fd, err := syscall.Socket(syscall.AF_INET6, typ|syscall.SOCK_CLOEXEC, 0)
	if err == syscall.EAFNOSUPPORT || err == syscall.EPROTONOSUPPORT {
		return bindOne(syscall.AF_INET, typ, p)
	} else if err != nil {
		return false
	}
	defer syscall.Close(fd)
	if syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0) != nil {
		// Dual stack refused (net.ipv6.bindv6only and a locked option): check each family.
		return bindOne(syscall.AF_INET, typ, p) && bindOne(syscall.AF_INET6, typ, p)
	}
	return syscall.Bind(fd, &syscall.SockaddrInet6{Port: int(p)}) == nil
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
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
		sa = &syscall.SockaddrInet6{Port: int(p)}
	} else {
		sa = &syscall.SockaddrInet4{Port: int(p)}
	}
	return syscall.Bind(fd, sa) == nil
}
