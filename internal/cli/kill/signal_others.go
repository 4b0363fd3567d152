//go:build !linux

package kill

import (
	"runtime"

	"github.com/portolan-dev/portolan"
)

func signalProcess(*portolan.Process, Signal) error {
	return portolan.Errorf(portolan.EUNSUPPORTED, "kill is not supported on %s yet (Linux only)", runtime.GOOS)
}
