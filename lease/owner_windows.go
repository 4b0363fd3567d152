package lease

import (
	"os"

	"github.com/portolan-dev/portolan"
)

// OwnerOf returns the Owner of a running process. Windows has no /proc
// start time here, so Start is 0 and only the PID is checked: opening the
// process fails when it does not exist.
func OwnerOf(pid int) (Owner, error) {
	if pid <= 0 {
		return Owner{}, portolan.Errorf(portolan.EINVALID, "pid %d is not a process id: want a number above 0", pid)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return Owner{}, portolan.Errorf(portolan.ENOTFOUND, "pid %d does not exist", pid)
	}
	p.Release()
	return Owner{PID: pid}, nil
}

// Alive reports whether the PID of o still exists.
func Alive(o Owner) bool {
	_, err := OwnerOf(o.PID)
	return portolan.ErrorCode(err) != portolan.ENOTFOUND
}

// MayName lets every peer name any process: only Linux tells the portserver
// who its peer is (SO_PEERCRED).
func MayName(peer portolan.Peer, pid int) error { return nil }
