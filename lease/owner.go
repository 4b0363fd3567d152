package lease

// Owner identifies a process across PID reuse: the PID and the process's
// start time in clock ticks after boot (field 22 of /proc/PID/stat). A new
// process that happens to get a dead owner's PID has a later start time, so
// it does not inherit the dead owner's leases.
type Owner struct {
	PID   int
	Start uint64
}
