package lease

// Exports for the black-box tests only.

var (
	ParsePortserverPID = parsePortserverPID
	FormatReserved     = formatReserved
	ParseReserved      = parseReserved
)

// Original returns the reserved-ports file's content when k opened it.
func (k *KernelReserver) Original() string { return k.original }
