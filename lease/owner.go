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

// ParseStat returns the state (field 3) and start time (field 22) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last ')'.
func ParseStat(b []byte) (state byte, start uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, portolan.Errorf(portolan.EINVALID, "stat line has no command name in parentheses")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field 22 is f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, portolan.Errorf(portolan.EINVALID, "stat line has %d fields after the command name, want at least 20", len(f))
	}
	start, perr := strconv.ParseUint(string(f[19]), 10, 64)
	if perr != nil {
		return 0, 0, portolan.Errorf(portolan.EINVALID, "stat field 22 %q is not a number", f[19])
	}
	return f[0][0], start, nil
}
