package sockets

import (
	"context"
	"strings"

	"github.com/portolan-dev/portolan"
)

// DumpHere lists the sockets f selects in the network namespace of the
// calling OS thread, without owners: the caller has entered another
// namespace on a locked thread (package netns) and reads it there. The
// netlink socket is opened, and /proc/thread-self/net read when netlink is
// refused, by this thread. f's PID and Proc are left for AttachOwners.
func DumpHere(ctx context.Context, f Filter) ([]portolan.Socket, error) {
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	q.threadNet = true
	return dump(ctx, &q)
}

// AttachOwners finds the processes holding socks, which may come from
// several network namespaces: the /proc scan covers every process of this
// pid namespace whatever network namespace it is in, and socket inodes are
// unique across them. It keeps the sockets f's PID and Proc select and
// returns them sorted; without WithOwners, PID or Proc it only sorts.
func AttachOwners(ctx context.Context, f Filter, socks []portolan.Socket) ([]portolan.Socket, error) {
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	if q.withOwners && len(socks) > 0 {
		if err := attachOwners(ctx, &q, socks, nil); err != nil {
			return nil, err
		}
		socks = q.keepOwned(socks)
	}
	sortSockets(socks)
	return socks, nil
}

// tableFile is t's /proc/net table, or the calling thread's own when the
// query reads a namespace the thread entered.
func (q *query) tableFile(t table) string {
	if q.threadNet {
		return "/proc/thread-self/net/" + strings.TrimPrefix(t.file, "/proc/net/")
	}
	return t.file
}
