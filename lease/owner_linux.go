package lease

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/portolan-dev/portolan"
)

// procRoot is where /proc is mounted; tests never change it, it only names
// the path once.
const procRoot = "/proc"

// OwnerOf returns the Owner of a running process: ENOTFOUND when pid does
// not exist or has exited (a zombie waiting to be reaped counts as exited:
// its sockets are already closed).
func OwnerOf(pid int) (Owner, error) {
	if pid <= 0 {
		return Owner{}, portolan.Errorf(portolan.EINVALID, "pid %d is not a process id: want a number above 0", pid)
	}
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return Owner{}, portolan.Errorf(portolan.ENOTFOUND, "pid %d does not exist", pid)
	} else if err != nil {
		return Owner{}, err
	}
	state, start, err := ParseStat(b)
	if err != nil {
		return Owner{}, err
	}
	if state == 'Z' || state == 'X' || state == 'x' {
		return Owner{}, portolan.Errorf(portolan.ENOTFOUND, "pid %d has exited", pid)
	}
	return Owner{PID: pid, Start: start}, nil
}

// Alive reports whether the process o names still runs: the PID exists and
// started at the same tick. A Start of 0 only checks that the PID exists.
func Alive(o Owner) bool {
	cur, err := OwnerOf(o.PID)
	if err != nil {
		// Only "gone" means dead; a read error keeps the lease.
		return portolan.ErrorCode(err) != portolan.ENOTFOUND
	}
	return o.Start == 0 || cur.Start == o.Start
}
