package ls

import (
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
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
	annotate(socks)
	out := socks[:0:0]
	for _, s := range socks {
		if s.Owner == nil || s.Owner.Holder == nil {
			continue
		}
		h := s.Owner.Holder
		switch {
		case o.Container != "" && (h.Container == nil || !strings.HasPrefix(h.Container.ID, strings.ToLower(o.Container))):
		case o.Unit != "" && h.Unit != o.Unit && h.Unit != o.Unit+".service":
		case worktree != "" && (h.Project == nil || h.Project.Worktree != worktree):
		default:
			out = append(out, s)
		}
	}
	return out, nil
}
