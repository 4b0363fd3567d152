package ls

import (
	"context"
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// byHolder keeps the sockets whose holder matches --container, --unit and
// --project (all that are given).
func (o *Options) byHolder(socks []portolan.Socket) ([]portolan.Socket, error) {
	if o.Container == "" && o.Unit == "" && o.Project == "" {
		return socks, nil
	}
	var worktree string
	if o.Project != "" {
		co, err := checkout.Of(o.Project)
		if err != nil {
			return nil, portolan.Errorf(portolan.EINVALID, "--project %s: %v", o.Project, err)
		}
		worktree = co.Worktree
	}
	o.annotate(socks)
	out := socks[:0:0]
	for _, s := range socks {
		if s.Owner == nil || s.Owner.Holder == nil {
			continue
		}
		h := s.Owner.Holder
		switch {
		case o.Container != "" && !containerIs(h.Container, o.Container) && (h.Published == nil || !containerIs(h.Published.Container, o.Container)):
		case o.Unit != "" && h.Unit != o.Unit && h.Unit != o.Unit+".service":
		case worktree != "" && (h.Project == nil || h.Project.Worktree != worktree):
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

// containerIs: c is the container people call name (its name, or an id
// prefix as docker ps shows it).
func containerIs(c *portolan.Container, name string) bool {
	return c != nil && (c.Name == name || c.ID != "" && strings.HasPrefix(c.ID, strings.ToLower(name)))
}

// annotate works out, once per process, what each socket's owner is (its
// container, unit, supervisor, checkout), then asks the container engines
// about the containers among them: one list per engine per snapshot. When
// an engine cannot be read, containers keep their id and a note on stderr
// says why, once per run.
func (o *Options) annotate(socks []portolan.Socket) {
	annotate(socks)
	if !anyContainer(socks) {
		return
	}
	if o.engines == nil {
		o.engines = &docker.Engines{}
	}
	o.engines.Annotate(context.Background(), socks)
	for _, why := range o.engines.Why() {
		if !o.noted[why] {
			if o.noted == nil {
				o.noted = map[string]bool{}
			}
			o.noted[why] = true
			fmt.Fprintf(o.IO.ErrOut, "portolan: containers show their id only: %s\n", cmdutil.Sanitize(why))
		}
	}
}

func anyContainer(socks []portolan.Socket) bool {
	for i := range socks {
		if ow := socks[i].Owner; ow != nil && (docker.Forwarder(ow.Name) || ow.Holder != nil && (ow.Holder.Container != nil || ow.Holder.Published != nil)) {
			return true
		}
	}
	return false
}
