package killutil

import (
	"errors"
	"os"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sockets"
	"golang.org/x/sys/unix"
)

// Signal signals p through a pidfd: once the pidfd is open it names
// that process for good, and the start time read after opening proves the
// pid was not reused since the owner lookup. Kernels without pidfds (before
// 5.3) fall back to kill(2) after the same check.
func Signal(p *portolan.Process, sig int) error {
	fd, err := unix.PidfdOpen(p.PID, 0)
	switch {
	case err == unix.ESRCH:
		return ErrGone
	case err == unix.ENOSYS:
		fd = -1
	case err != nil:
		return permission(err)
	default:
		defer unix.Close(fd)
	}
	if ticks, err := sockets.StartTicks(p.PID); err != nil || (p.StartTicks != 0 && ticks != p.StartTicks) {
		return ErrGone
	}
	if fd < 0 {
		err = unix.Kill(p.PID, unix.Signal(sig))
	} else {
		err = unix.PidfdSendSignal(fd, unix.Signal(sig), nil, 0)
	}
	if err == unix.ESRCH {
		return ErrGone
	}
	return permission(err)
}

// permission is os.ErrPermission for EPERM and EACCES.
func permission(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return os.ErrPermission
	}
	return err
}
