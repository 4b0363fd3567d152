package holder

import (
	"github.com/portolan-dev/portolan"
)

// Annotate sets Holder on the owners of socks, working each process out
// once: a server holds many sockets, and ten thousand sockets are held by
// a few hundred processes at most. Owners are copied, never changed in
// place (callers share them); an owner that already has a holder keeps it.
// Shared ancestors and working directories are read once per call.
func Annotate(socks []portolan.Socket, o Options) {
	seen := map[int]*portolan.Holder{}
	c := newCache()
	for i := range socks {
		ow := socks[i].Owner
		if ow == nil || ow.Holder != nil {
			continue
		}
		h, ok := seen[ow.PID]
		if !ok {
			if got, err := of(ow.PID, o, c); err == nil {
				h = &got
			}
			seen[ow.PID] = h
		}
		if h != nil {
			cp := *ow
			cp.Holder = h
			socks[i].Owner = &cp
		}
	}
}
