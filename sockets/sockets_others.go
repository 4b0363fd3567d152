//go:build !linux

package sockets

import (
	"context"
	"runtime"

	"github.com/portolan-dev/portolan"
)

func unsupported() error {
	return portolan.Errorf(portolan.EUNSUPPORTED, "the socket inventory is not supported on %s yet (Linux only)", runtime.GOOS)
}

func list(context.Context, query) ([]portolan.Socket, error) { return nil, unsupported() }

func exists(context.Context, portolan.Port, portolan.Proto, bool) (bool, error) {
	return false, unsupported()
}

// Holders returns every (socket, process) pair for the listening sockets on
// port p; on this operating system it is not supported yet.
func Holders(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
	return nil, unsupported()
}

// StartTicks identifies a process across pid reuse on Linux; here it is
// not supported yet.
func StartTicks(int) (uint64, error) { return 0, unsupported() }

// DumpHere lists the sockets of the calling thread's network namespace on
// Linux; here it is not supported yet.
func DumpHere(context.Context, Filter) ([]portolan.Socket, error) { return nil, unsupported() }

// AttachOwners finds the holders of sockets on Linux; here it is not
// supported yet.
func AttachOwners(context.Context, Filter, []portolan.Socket) ([]portolan.Socket, error) {
	return nil, unsupported()
}
