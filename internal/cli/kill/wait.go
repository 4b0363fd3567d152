package kill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// waitFree polls the socket table until none of the held sockets (by
// inode) is listening any more, or until d passes. It returns the targets
// whose sockets are still there.
func (o *Options) waitFree(ctx context.Context, held map[target][]portolan.Socket, d time.Duration) (map[target][]portolan.Socket, error) {
	deadline := time.Now().Add(d)
	pause := 5 * time.Millisecond
	for {
		left := map[target][]portolan.Socket{}
		for t, was := range held {
			now, err := o.Listening(ctx, t.port, t.proto)
			if err != nil {
				return nil, err
			}
			for _, s := range was {
				if slices.ContainsFunc(now, func(n portolan.Socket) bool { return n.Inode == s.Inode && n.Proto == s.Proto }) {
					left[t] = append(left[t], s)
				}
			}
		}
		if len(left) == 0 || !time.Now().Before(deadline) {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(pause, time.Until(deadline))):
		}
		pause = min(pause*2, 100*time.Millisecond)
	}
}

// dropHeldBy forgets the targets that process pid holds.
func dropHeldBy(held map[target][]portolan.Socket, pid int) {
	for t, socks := range held {
		if slices.ContainsFunc(socks, func(s portolan.Socket) bool { return s.Owner != nil && s.Owner.PID == pid }) {
			delete(held, t)
		}
	}
}

func holdsAny(v *victim, left map[target][]portolan.Socket) bool {
	for _, socks := range left {
		for _, s := range socks {
			if s.Owner != nil && s.Owner.PID == v.proc.PID {
				return true
			}
		}
	}
	return false
}

func holderNames(victims []*victim, socks []portolan.Socket) string {
	var names []string
	for _, s := range socks {
		if s.Owner == nil {
			continue
		}
		n := fmt.Sprintf("pid %d (%s)", s.Owner.PID, cmdutil.Sanitize(s.Owner.Name))
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func forceHint(force bool) string {
	if force {
		return ""
	}
	return "; --force sends SIGKILL after --timeout"
}
