package cmdutil

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/holder"
)

// Holders works out what holds each socket (owner.holder), once per
// process, and when any of them is a container or a container's
// forwarder, asks the engines for the containers' names: one list per
// engine. It returns why an engine could not be read (containers then
// keep their id).
func Holders(ctx context.Context, socks []portolan.Socket) []string {
	holder.Annotate(socks, holder.Options{})
	for i := range socks {
		if ow := socks[i].Owner; ow != nil && (docker.Forwarder(ow.Name) || ow.Holder != nil && (ow.Holder.Container != nil || ow.Holder.Published != nil)) {
			e := &docker.Engines{}
			e.Annotate(ctx, socks)
			return e.Why()
		}
	}
	return nil
}
