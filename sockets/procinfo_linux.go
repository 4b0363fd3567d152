package sockets

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// readProcess reads what people need to recognise a process: its name,
// command line, user and start time. StartTicks with the pid identifies
// the process even after the pid is reused.
func readProcess(pid int) (*portolan.Process, error) {
	st, err := procfs.ReadStat(pid)
	if err != nil {
		if errors.Is(err, procfs.ErrFormat) {
			return nil, portolan.Errorf(portolan.EINTERNAL, "cannot parse /proc/%d/stat", pid)
		}
		return nil, err
	}
	p := &portolan.Process{PID: pid, Name: st.Comm, StartTicks: st.StartTicks, Start: procfs.StartTime(st.StartTicks)}
	if cmd, err := os.ReadFile(procfs.Path(pid, "cmdline")); err == nil {
		p.Cmdline = procfs.SplitCmdline(cmd)
	}
	if status, err := os.ReadFile(procfs.Path(pid, "status")); err == nil {
		// The effective uid, the one ps shows as the process's user.
		if u, err := procfs.ParseStatusUIDs(status); err == nil {
			p.UID = u.Effective
			p.User = UserName(u.Effective)
		}
	}
	return p, nil
}

// StartTicks returns field 22 of /proc/PID/stat, the process's start time
// in clock ticks after boot. Callers compare it with Process.StartTicks
// before they signal a pid, so a reused pid is never signalled.
func StartTicks(pid int) (uint64, error) {
	st, err := procfs.ReadStat(pid)
	if errors.Is(err, procfs.ErrFormat) {
		return 0, portolan.Errorf(portolan.EINTERNAL, "cannot parse /proc/%d/stat", pid)
	}
	return st.StartTicks, err
}

// commMatches reports whether process pid is named name. comm is cut to 15
// bytes, so a longer name matches its first 15 bytes.
func commMatches(pid int, name string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return false
	}
	comm := string(bytes.TrimSuffix(b, []byte("\n")))
	return comm == name || len(comm) == 15 && strings.HasPrefix(name, comm)
}
