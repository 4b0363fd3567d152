// Package procfs parses the few Linux /proc files portolan reads about
// processes: /proc/PID/stat, /proc/PID/status, /proc/PID/cmdline and the
// boot time in /proc/stat. The socket inventory, the lease allocator and
// the metrics writer all need them, and they must agree on every field, so
// the parsing lives here once. The parsers take bytes and are tested on
// inline kernel text; only the Read functions touch /proc.
package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// UserHZ is the unit of the times in /proc/PID/stat. The kernel exports
// them in USER_HZ, which is 100 on every Linux architecture Go supports.
const UserHZ = 100

// PFKthread is the kernel's PF_KTHREAD flag (field 9): a kernel thread,
// which never exits.
const PFKthread = 0x00200000

// Stat is what portolan reads of /proc/PID/stat.
type Stat struct {
	Comm  string // field 2, without its parentheses (at most 15 bytes)
	State byte   // field 3: R, S, D, Z, X, ...
	PPID  int    // field 4
	PGRP  int    // field 5: process group
	// Session is field 6, the session id.
	Session int
	Flags   uint64 // field 9: PF_* flags
	// UTime and STime are fields 14 and 15, CPU time in UserHZ ticks.
	UTime, STime uint64
	StartTicks   uint64 // field 22: start time in UserHZ ticks after boot
	VSize        uint64 // field 23: virtual memory in bytes
	RSSPages     uint64 // field 24: resident set in pages
}

// Exited reports whether the process is a zombie or dead: its sockets are
// already closed even though its pid still exists.
func (s Stat) Exited() bool { return s.State == 'Z' || s.State == 'X' || s.State == 'x' }

// ErrFormat is returned for a stat or status text that is not the kernel's.
var ErrFormat = errors.New("procfs: unexpected format")

// ParseStat parses a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields
// after it are counted from the last ')'.
func ParseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, ErrFormat
	}
	s := Stat{Comm: string(b[open+1 : end])}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3, so field k is f[k-3].
	if len(f) < 22 || len(f[0]) != 1 {
		return Stat{}, ErrFormat
	}
	s.State = f[0][0]
	var ok [10]bool
	var ppid, pgrp, session uint64
	ppid, ok[0] = ParseDec(f[4-3])
	pgrp, ok[8] = ParseDec(f[5-3])
	session, ok[9] = ParseDec(f[6-3])
	s.Flags, ok[1] = ParseDec(f[9-3])
	s.UTime, ok[2] = ParseDec(f[14-3])
	s.STime, ok[3] = ParseDec(f[15-3])
	s.StartTicks, ok[4] = ParseDec(f[22-3])
	s.VSize, ok[5] = ParseDec(f[23-3])
	s.RSSPages, ok[6] = ParseDec(f[24-3])
	ok[7] = ppid <= 1<<31-1 && pgrp <= 1<<31-1 && session <= 1<<31-1
	for _, v := range ok {
		if !v {
			return Stat{}, ErrFormat
		}
	}
	s.PPID, s.PGRP, s.Session = int(ppid), int(pgrp), int(session)
	return s, nil
}

// ReadStat reads and parses /proc/PID/stat ("self" for pid 0). A pid
// that does not exist gives an error for which IsGone is true.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(Path(pid, "stat"))
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

// IsGone reports whether err says the process does not exist (any more).
func IsGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// Path is /proc/PID/NAME, or /proc/self/NAME for pid 0.
func Path(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}

// UIDs are the four uids of the Uid: line of /proc/PID/status.
type UIDs struct{ Real, Effective, Saved, FS uint32 }

// ParseStatusUIDs returns the Uid: line of a /proc/PID/status text.
func ParseStatusUIDs(b []byte) (UIDs, error) {
	i := bytes.Index(b, []byte("Uid:"))
	if i < 0 || i > 0 && b[i-1] != '\n' {
		if i = bytes.Index(b, []byte("\nUid:")); i < 0 {
			return UIDs{}, ErrFormat
		}
		i++
	}
	line := b[i+len("Uid:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) < 4 {
		return UIDs{}, ErrFormat
	}
	var u [4]uint32
	for k := range u {
		v, ok := ParseDec(f[k])
		if !ok || v > 1<<32-1 {
			return UIDs{}, ErrFormat
		}
		u[k] = uint32(v)
	}
	return UIDs{u[0], u[1], u[2], u[3]}, nil
}

// SplitCmdline splits a /proc/PID/cmdline text at its NULs; nil when empty
// (a kernel thread, or a zombie).
func SplitCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// ParseDec parses an unsigned decimal of up to 20 digits without
// allocating; false for anything else, including overflow.
func ParseDec(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// ParseBootTime returns the btime line of a /proc/stat text.
func ParseBootTime(b []byte) (time.Time, bool) {
	i := bytes.Index(b, []byte("\nbtime "))
	if i < 0 {
		return time.Time{}, false
	}
	line := b[i+len("\nbtime "):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	v, ok := ParseDec(bytes.TrimSpace(line))
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(v), 0), true
}

var (
	bootOnce sync.Once
	boot     time.Time
)

// BootTime is the wall clock at boot (btime of /proc/stat), read once per
// process; the zero Time where /proc/stat cannot be read.
func BootTime() time.Time {
	bootOnce.Do(func() {
		if b, err := os.ReadFile("/proc/stat"); err == nil {
			boot, _ = ParseBootTime(b)
		}
	})
	return boot
}

// StartTime converts a start time in ticks after boot to the wall clock;
// the zero Time when the boot time is unknown.
func StartTime(ticks uint64) time.Time {
	bt := BootTime()
	if bt.IsZero() {
		return time.Time{}
	}
	return bt.Add(time.Duration(ticks) * (time.Second / UserHZ))
}

// IsNamespaceInit reports whether pid is pid 1 of its own pid namespace
// (the last field of the NSpid line of /proc/PID/status): the init of this
// host, or of a container.
func IsNamespaceInit(pid int) bool {
	if pid == 1 {
		return true
	}
	b, err := os.ReadFile(Path(pid, "status"))
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("NSpid:")); ok {
			f := bytes.Fields(rest)
			return len(f) > 0 && string(f[len(f)-1]) == "1"
		}
	}
	return false
}
