package lease

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// procRoot is where /proc is mounted; tests never change it, it only names
// the path once.
const procRoot = "/proc"

// OwnerOf returns the Owner of a running process: ENOTFOUND when pid does
// not exist or has exited (a zombie waiting to be reaped counts as exited:
// its sockets are already closed).
func OwnerOf(pid int) (Owner, error) {
	s, err := readStat(pid)
	if err != nil {
		return Owner{}, err
	}
	return Owner{PID: pid, Start: s.StartTicks}, nil
}

// readStat reads a running process's stat line; ENOTFOUND when it is gone.
func readStat(pid int) (procfs.Stat, error) {
	if pid <= 0 {
		return procfs.Stat{}, portolan.Errorf(portolan.EINVALID, "pid %d is not a process id: want a number above 0", pid)
	}
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return procfs.Stat{}, portolan.Errorf(portolan.ENOTFOUND, "pid %d does not exist", pid)
	} else if err != nil {
		return procfs.Stat{}, err
	}
	s, err := procfs.ParseStat(b)
	if err != nil {
		return procfs.Stat{}, portolan.Errorf(portolan.EINTERNAL, "/proc/%d/stat is not the kernel's format", pid)
	}
	if s.Exited() {
		return procfs.Stat{}, portolan.Errorf(portolan.ENOTFOUND, "pid %d has exited", pid)
	}
	return s, nil
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

// MayName decides whether peer may lease a port owned by pid: root may
// name any process; anyone else only itself, a process it started (peer is
// an ancestor), or a process kill(2) would let it signal (pid's real or
// saved uid is peer's). Kernel threads never exit, so nobody may name one:
// a lease owned by kthreadd would hold its port forever. EFORBIDDEN says
// why not; ENOTFOUND when pid does not run.
func MayName(peer portolan.Peer, pid int) error {
	s, err := readStat(pid)
	if err != nil {
		return err
	}
	if pid == 2 || s.PPID == 2 || s.Flags&procfs.PFKthread != 0 {
		return portolan.Errorf(portolan.EFORBIDDEN, "pid %d is a kernel thread, which never exits: want a process of yours", pid)
	}
	if peer.UID == 0 || peer.PID == pid {
		return nil
	}
	ruid, suid, err := procUIDs(pid)
	if err != nil {
		return err
	}
	if peer.UID == ruid || peer.UID == suid {
		return nil
	}
	for p, hops := s.PPID, 0; p > 1 && hops < 4096; hops++ {
		if p == peer.PID {
			return nil
		}
		ps, err := readStat(p)
		if err != nil {
			break
		}
		p = ps.PPID
	}
	return portolan.Errorf(portolan.EFORBIDDEN, "uid %d may not lease a port for pid %d: want a process of uid %d (or one it started)", peer.UID, pid, peer.UID)
}

// procUIDs returns a process's real and saved uid (the Uid line of
// /proc/PID/status: real, effective, saved, filesystem).
func procUIDs(pid int) (ruid, suid uint32, err error) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/status")
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return 0, 0, portolan.Errorf(portolan.ENOTFOUND, "pid %d does not exist", pid)
	} else if err != nil {
		return 0, 0, err
	}
	return parseStatusUIDs(b, pid)
}

func parseStatusUIDs(b []byte, pid int) (ruid, suid uint32, err error) {
	u, err := procfs.ParseStatusUIDs(b)
	if err != nil {
		return 0, 0, portolan.Errorf(portolan.EINTERNAL, "/proc/%d/status has no valid Uid line", pid)
	}
	return u.Real, u.Saved, nil
}
