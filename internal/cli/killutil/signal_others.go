//go:build !linux

package killutil

import (
	"runtime"

	"github.com/portolan-dev/portolan"
)

func Signal(*portolan.Process, int) error {
	return portolan.Errorf(portolan.EUNSUPPORTED, "kill is not supported on %s yet (Linux only)", runtime.GOOS)
}
