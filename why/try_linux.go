package why

import (
	"errors"
	"syscall"

	"github.com/portolan-dev/portolan"
)

func try(pr portolan.Proto, p portolan.Port, family, v6only int, label string) portolan.BindTry {
	t := portolan.BindTry{Proto: pr, Addr: label}
	typ := syscall.SOCK_STREAM
	if pr == portolan.UDP {
		typ = syscall.SOCK_DGRAM
	}
	fd, err := syscall.Socket(family, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Error = err.Error()
		return t
	}
	defer syscall.Close(fd)
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: int(p)}
	if family == syscall.AF_INET6 {
		sa = &syscall.SockaddrInet6{Port: int(p)}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only); err != nil {
			t.Error = err.Error()
			return t
		}
	}
	if err = syscall.Bind(fd, sa); err == nil && typ == syscall.SOCK_STREAM {
		err = syscall.Listen(fd, 1)
	}
	if err != nil {
		t.Error = err.Error()
		if errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Error = "IPv6 is off on this host"
		}
		return t
	}
	t.OK = true
	return t
}
