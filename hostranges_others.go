//go:build !linux

package portolan

import "runtime"

// ReadHostRanges returns the documented defaults of this operating system
// (DefaultHostRanges), marked Defaults: portolan reads the real values only
// on Linux.
func ReadHostRanges() (HostRanges, error) { return DefaultHostRanges(runtime.GOOS), nil }
