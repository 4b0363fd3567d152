package lease

// Exports for the black-box tests only.

var (
	ParsePortserverPID = parsePortserverPID
	FormatReserved     = formatReserved
	ParseReserved      = parseReserved
)

// ParseStat returns the state (field 3) and start time (field 22) of a
// /proc/PID/stat line.
func ParseStat(b []byte) (state byte, start uint64, err error) {
	s, err := parseStat(b)
	return s.state, s.start, err
}

// Original returns the reserved-ports file's content when k opened it.
func (k *KernelReserver) Original() string { return k.original }
