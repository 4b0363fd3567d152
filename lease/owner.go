package lease

import (
	"bytes"
	"strconv"

	"github.com/portolan-dev/portolan"
)

// Owner identifies a process across PID reuse: the PID and the process's
// start time in clock ticks after boot (field 22 of /proc/PID/stat). A new
// process that happens to get a dead owner's PID has a later start time, so
// it does not inherit the dead owner's leases.
type Owner struct {
	PID   int
	Start uint64
}

// stat is what the allocator reads from /proc/PID/stat.
type stat struct {
	state byte   // field 3
	ppid  int    // field 4
	flags uint64 // field 9: PF_* flags
	start uint64 // field 22
}

// pfKthread is the kernel's PF_KTHREAD flag: the process is a kernel
// thread, which never exits.
const pfKthread = 0x00200000

// parseStat parses a /proc/PID/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(b []byte) (stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, portolan.Errorf(portolan.EINVALID, "stat line has no command name in parentheses")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state), f[1] field 4, f[6] field 9, f[19] field 22.
	if len(f) < 20 || len(f[0]) != 1 {
		return stat{}, portolan.Errorf(portolan.EINVALID, "stat line has %d fields after the command name, want at least 20", len(f))
	}
	start, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return stat{}, portolan.Errorf(portolan.EINVALID, "stat field 22 %q is not a number", f[19])
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	flags, err2 := strconv.ParseUint(string(f[6]), 10, 64)
	if err1 != nil || err2 != nil {
		return stat{}, portolan.Errorf(portolan.EINVALID, "stat fields 4 and 9 %q %q are not numbers", f[1], f[6])
	}
	return stat{state: f[0][0], ppid: ppid, flags: flags, start: start}, nil
}
