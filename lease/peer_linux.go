package lease

import (
	"net"
	"syscall"
)

func unixPeer(c *net.UnixConn) (uint32, int, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var cred *syscall.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return 0, 0, false
	}
	return cred.Uid, int(cred.Pid), true
}
