package portolan

import (
	"os"
	"path/filepath"
)

// Linux's files, relative to the proc root; they are per network namespace.
const (
	procPortRange   = "sys/net/ipv4/ip_local_port_range"
	procReserved    = "sys/net/ipv4/ip_local_reserved_ports"
	procUnprivStart = "sys/net/ipv4/ip_unprivileged_port_start"
)

// ReadHostRanges reads this host's ranges: on Linux from /proc/sys/net/ipv4,
// as they apply in the caller's network namespace. Without those files (a
// container without /proc) it returns the Linux defaults, marked as such.
// A file that does not parse is an error, returned with the defaults, so
// that a caller that goes on works from documented values.
func ReadHostRanges() (HostRanges, error) { return readHostRanges("/proc") }

// readHostRanges reads the ranges under a proc root; tests point it at a
// fake one.
func readHostRanges(proc string) (HostRanges, error) {
	def := DefaultHostRanges("linux")
	read := func(rel string) (string, error) {
		b, err := os.ReadFile(filepath.Join(proc, rel))
		return string(b), err
	}
	s, err := read(procPortRange)
	if err != nil {
		return def, nil
	}
	h := def
	if h.Ephemeral, err = ParsePortRange(s); err != nil {
		return def, err
	}
	h.Defaults = false
	h.Source = filepath.Join(proc, procPortRange)
	if s, err := read(procReserved); err == nil {
		if h.Reserved, err = ParseReservedPorts(s); err != nil {
			return def, err
		}
		h.Source += ", " + filepath.Join(proc, procReserved)
	}
	if s, err := read(procUnprivStart); err == nil {
		if h.UnprivilegedStart, err = ParseUnprivilegedStart(s); err != nil {
			return def, err
		}
		h.Source += ", " + filepath.Join(proc, procUnprivStart)
	}
	return h, nil
}
