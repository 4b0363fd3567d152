//go:build !linux

package netns

import (
	"context"
	"runtime"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sockets"
)

func unsupported() error {
	return portolan.Errorf(portolan.EUNSUPPORTED, "network namespaces are a Linux feature: not supported on %s", runtime.GOOS)
}

// Find lists the network namespaces of the host; Linux only.
func Find() ([]NS, error) { return nil, unsupported() }

// Select resolves a --netns value; Linux only.
func Select(string) ([]NS, error) { return nil, unsupported() }

// Sockets lists the sockets of namespaces; Linux only.
func Sockets(context.Context, []NS, sockets.Filter) ([]portolan.Socket, error) {
	return nil, unsupported()
}

// Elsewhere lists listeners on a port in other namespaces; Linux only.
func Elsewhere(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
	return nil, unsupported()
}
