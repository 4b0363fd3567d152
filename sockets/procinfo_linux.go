package sockets

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// userHZ is the unit of the times in /proc/PID/stat. The kernel exports
// them in USER_HZ, which is 100 on every Linux architecture Go supports.
const userHZ = 100

// readProcess reads what people need to recognise a process: its name,
// command line, user and start time. StartTicks with the pid identifies
// the process even after the pid is reused.
func readProcess(pid int) (*portolan.Process, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil, err
	}
	name, ticks, ok := parseStat(stat)
	if !ok {
		return nil, portolan.Errorf(portolan.EINTERNAL, "cannot parse %s/stat", dir)
	}
	p := &portolan.Process{PID: pid, Name: name, StartTicks: ticks}
	if bt := bootTime(); !bt.IsZero() {
		p.Start = bt.Add(time.Duration(ticks) * (time.Second / userHZ))
	}
	if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil {
		p.Cmdline = splitCmdline(cmd)
	}
	if status, err := os.ReadFile(dir + "/status"); err == nil {
		if uid, ok := statusUID(status); ok {
			p.UID = uid
			p.User = UserName(uid)
		}
	}
	return p, nil
}

// StartTicks returns field 22 of /proc/PID/stat, the process's start time
// in clock ticks after boot. Callers compare it with Process.StartTicks
// before they signal a pid, so a reused pid is never signalled.
func StartTicks(pid int) (uint64, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	_, ticks, ok := parseStat(stat)
	if !ok {
		return 0, portolan.Errorf(portolan.EINTERNAL, "cannot parse /proc/%d/stat", pid)
	}
	return ticks, nil
}

// parseStat returns comm (field 2) and starttime (field 22) of a
// /proc/PID/stat line. comm may hold spaces and parentheses, so the fields
// after it are counted from the last ')'.
func parseStat(b []byte) (comm string, start uint64, ok bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	comm = string(b[open+1 : end])
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return "", 0, false
	}
	start, ok = parseDec(fields[19])
	return comm, start, ok
}

// statusUID returns the effective uid from /proc/PID/status ("Uid: real
// effective saved fs"), the one ps shows as the process's user.
func statusUID(b []byte) (uint32, bool) {
	i := bytes.Index(b, []byte("\nUid:"))
	if i < 0 {
		return 0, false
	}
	line := b[i+5:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0, false
	}
	v, ok := parseDec(f[1])
	return uint32(v), ok && v <= 1<<32-1
}

func splitCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
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

var (
	bootOnce sync.Once
	boot     time.Time
)

// bootTime is the btime line of /proc/stat: the wall clock at boot.
func bootTime() time.Time {
	bootOnce.Do(func() {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return
		}
		i := bytes.Index(b, []byte("\nbtime "))
		if i < 0 {
			return
		}
		line := b[i+7:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if v, ok := parseDec(bytes.TrimSpace(line)); ok {
			boot = time.Unix(int64(v), 0)
		}
	})
	return boot
}
