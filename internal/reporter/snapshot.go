package reporter

import (
	"context"
	"net/netip"
	"os"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/procfs"
	"github.com/portolan-dev/portolan/sockets"
)

// snapshotter reads this host's listeners as the fleet keys them. It keeps
// the last reading by socket inode: while the kernel reports the same
// sockets (the usual poll), the owner scan of /proc is skipped.
type snapshotter struct {
	list    func(context.Context, sockets.Filter) ([]portolan.Socket, error)
	addrs   func() []netip.Addr
	byInode map[uint64]portolan.FleetListener
}

func newSnapshotter() *snapshotter {
	return &snapshotter{list: sockets.List, addrs: cmdutil.HostAddrs}
}

// take returns the listeners now, by key.
func (s *snapshotter) take(ctx context.Context) (map[portolan.ListenerKey]portolan.FleetListener, error) {
	socks, err := s.list(ctx, sockets.Filter{})
	if err != nil {
		return nil, err
	}
	same := len(socks) == len(s.byInode)
	for i := 0; same && i < len(socks); i++ {
		_, same = s.byInode[socks[i].Inode]
	}
	if !same {
		if socks, err = s.list(ctx, sockets.Filter{WithOwners: true}); err != nil {
			return nil, err
		}
		addrs := s.addrs()
		s.byInode = make(map[uint64]portolan.FleetListener, len(socks))
		for i := range socks {
			s.byInode[socks[i].Inode] = listenerOf(&socks[i], addrs)
		}
	}
	out := make(map[portolan.ListenerKey]portolan.FleetListener, len(s.byInode))
	for _, l := range s.byInode {
		out[l.ListenerKey] = l
	}
	return out, nil
}

func listenerOf(s *portolan.Socket, addrs []netip.Addr) portolan.FleetListener {
	l := portolan.FleetListener{
		ListenerKey: portolan.ListenerKey{Proto: s.Proto, Addr: s.Local.Addr().Unmap(), Port: portolan.Port(s.Local.Port())},
		Program:     "hidden",
		Reach:       portolan.ReachOf(s.Local.Addr(), addrs),
	}
	if s.Owner != nil {
		l.Program, l.Process, l.User = Program(s.Owner.PID, s.Owner.Name), s.Owner.Name, s.Owner.User
	}
	return l
}

// Program is the identity of the program pid runs, stable across its
// restarts: its container, its systemd service, or its executable's path.
func Program(pid int, comm string) string {
	if b, err := os.ReadFile(procfs.Path(pid, "cgroup")); err == nil {
		c, pod, unit := holder.FromCgroup(string(b))
		switch {
		case c != nil:
			return "container " + c.ID[:min(12, len(c.ID))]
		case pod != nil:
			return "pod " + pod.UID
		case strings.HasSuffix(unit, ".service") && !strings.HasPrefix(unit, "user@"):
			return "unit " + unit
		}
	}
	if exe, err := os.Readlink(procfs.Path(pid, "exe")); err == nil {
		return strings.TrimSuffix(exe, " (deleted)")
	}
	return comm
}
