package portolan

// This file only holds HostRanges until the branch that moves the one
// reader of this host's ranges to the root package is merged; that branch
// defines the same type and these methods.

// HostRanges are this host's port ranges as its kernel applies them. They
// are per network namespace on Linux; elsewhere they are the system's
// documented defaults (Defaults says which).
type HostRanges struct {
	// Ephemeral is where the kernel picks ports for outgoing connections
	// and bind(port 0).
	Ephemeral Range `json:"ephemeral"`
	// Reserved ports are skipped by automatic assignment; an explicit
	// bind still works.
	Reserved []Range `json:"reserved"`
	// UnprivilegedStart is the lowest port a process may bind without
	// privilege (CAP_NET_BIND_SERVICE).
	UnprivilegedStart Port `json:"unprivileged_start"`
	// Defaults is true when the values are the documented defaults of the
	// operating system rather than read from it.
	Defaults bool `json:"defaults"`
	// Source says where the values come from: the files read, or the
	// documentation the defaults follow.
	Source string `json:"source"`
}

// InEphemeral reports whether p is in the ephemeral range.
func (h HostRanges) InEphemeral(p Port) bool { return h.Ephemeral.Contains(p) }

// InReserved reports whether p is in the reserved ports.
func (h HostRanges) InReserved(p Port) bool {
	for _, r := range h.Reserved {
		if r.Contains(p) {
			return true
		}
	}
	return false
}
