package holder

import (
	"sync"

	"github.com/portolan-dev/portolan"
)

// Annotate sets Holder on the owners of socks, working each process out
// once: a server holds many sockets, and ten thousand sockets are held by
// a few hundred processes at most. Owners are copied, never changed in
// place (callers share them); an owner that already has a holder keeps it.
// Shared ancestors and working directories are read once per call.
//
// A socket that systemd holds as init for socket activation is the socket
// unit's: its holder names the unit and the service it starts, and systemd
// as the supervisor (killing pid 1 is never the answer).
func Annotate(socks []portolan.Socket, o Options) {
	seen := map[int]*portolan.Holder{}
	c := newCache()
	units := sync.OnceValue(func() []socketUnit { return readSocketUnits(o.unitDirs()) })
	for i := range socks {
		ow := socks[i].Owner
		if ow == nil || ow.Holder != nil {
			continue
		}
		if u := activated(socks[i], units); u != nil {
			cp := *ow
			cp.Holder = &portolan.Holder{Unit: u.name, Supervisor: &portolan.Supervisor{PID: ow.PID, Kind: "systemd",
				Stop: "systemctl stop " + u.name + " " + u.service}}
			socks[i].Owner = &cp
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
