package ls

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/netns"
	"github.com/portolan-dev/portolan/sockets"
)

// useNetNS makes the listing read the namespaces --netns selects. A bad
// value fails here, before anything is listed; with all, every listing
// (each --watch frame) finds the namespaces again, so containers started
// meanwhile appear.
func (o *Options) useNetNS() error {
	nss, err := netns.Select(o.NetNS)
	if err != nil {
		return err
	}
	o.multiNS = len(nss) > 1 || o.NetNS == "all"
	spec := o.NetNS
	o.List = func(ctx context.Context, f sockets.Filter) ([]portolan.Socket, error) {
		if spec == "all" && nss == nil {
			var err error
			if nss, err = netns.Select(spec); err != nil {
				return nil, err
			}
		}
		cur := nss
		if spec == "all" {
			nss = nil // found again next time
		}
		return netns.Sockets(ctx, cur, f)
	}
	return nil
}
