//go:build !linux

package why

import (
	"runtime"

	"github.com/portolan-dev/portolan"
)

// try is not offered here: the bind without SO_REUSEADDR needs the
// socket calls this package makes on Linux.
func try(pr portolan.Proto, p portolan.Port, family, v6only int, label string) portolan.BindTry {
	return portolan.BindTry{Proto: pr, Addr: label, Error: "bind tries are not supported on " + runtime.GOOS}
}
