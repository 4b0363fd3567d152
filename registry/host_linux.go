package registry

import (
	"os"
	"path/filepath"

	"github.com/portolan-dev/portolan"
)

// Host reads this host's ranges from /proc (they are per network namespace).
func Host() (HostRanges, error) { return hostFrom("/proc") }

// hostFrom reads the ranges from a proc root; tests point it at a fake one.
func hostFrom(proc string) (HostRanges, error) {
	h := defaultHost()
	read := func(rel string) (string, error) {
		b, err := os.ReadFile(filepath.Join(proc, rel))
		return string(b), err
	}
	s, err := read(procPortRange)
	if err != nil {
		// No /proc (a container without it): say the values are defaults.
		return h, nil
	}
	if h.Ephemeral, err = ParsePortRange(s); err != nil {
		return h, err
	}
	h.Defaults = false
	h.Source = filepath.Join(proc, procPortRange)
	if s, err := read(procReserved); err == nil {
		if h.Reserved, err = ParseReservedPorts(s); err != nil {
			return h, err
		}
		h.Source += ", " + filepath.Join(proc, procReserved)
	}
	if s, err := read(procUnprivStart); err == nil {
		if h.UnprivilegedStart, err = ParseUnprivilegedStart(s); err != nil {
			return h, err
		}
		h.Source += ", " + filepath.Join(proc, procUnprivStart)
	}
	return h, nil
}

func defaultHost() HostRanges {
	return HostRanges{
		Ephemeral:         portolan.Range{Lo: 32768, Hi: 60999},
		Reserved:          []portolan.Range{},
		UnprivilegedStart: 1024,
		Defaults:          true,
		Source:            "Linux defaults (Documentation/networking/ip-sysctl.rst): ip_local_port_range 32768 60999, ip_unprivileged_port_start 1024",
	}
}
