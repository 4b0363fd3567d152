package serve

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/sockets"
)

// listeners is the server's socket scan: this host's listeners with what
// holds each (owner.holder) and how far each reaches (exposure). Both are
// worked out here, once per scan (container names with one list per
// engine, only when a container holds a listener), so the API's shared
// scan and its 5 s snapshot cache them with the sockets: a page refresh
// costs no extra /proc walk or firewall read.
func listeners(ctx context.Context) ([]portolan.Socket, error) {
	socks, err := sockets.List(ctx, sockets.Filter{WithOwners: true})
	if err != nil {
		return nil, err
	}
	cmdutil.Holders(ctx, socks)
	for i, e := range cmdutil.Exposures(ctx, socks, nil) {
		socks[i].Exposure = e.Reachability()
	}
	return socks, nil
}
