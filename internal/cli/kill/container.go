package kill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// Container is one container kill stopped (or, with --dry-run, would
// stop) through its engine, instead of signalling a process.
type Container struct {
	Engine  string   `json:"engine"`
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Action  string   `json:"action"`  // "stop"
	Sockets []string `json:"sockets"` // the ports it held or published: "tcp 127.0.0.1:18080"
}

// stop is a container to stop and the targets it holds.
type stop struct {
	c       *portolan.Container
	socks   []portolan.Socket
	targets []target
}

// holderOf works out (once per pid) what a holder is, with its container
// completed from the engine: a docker-proxy's container, a restart policy.
func (o *Options) holderOf(ctx context.Context, pid int) *portolan.Holder {
	if h, ok := o.holders[pid]; ok {
		return h
	}
	if o.holders == nil {
		o.holders = map[int]*portolan.Holder{}
	}
	var hp *portolan.Holder
	if h, err := holder.Of(pid, holder.Options{}); err == nil {
		hp = &h
		if h.Container != nil || h.Published != nil {
			o.Engines.Complete(ctx, pid, hp)
		}
	}
	o.holders[pid] = hp
	return hp
}

// containerFor says what to do with a listener that is a container's: a
// docker-proxy's socket is the published port of a container, which only
// --container stops (signalling the proxy would leave the container
// running without its port); a process in a container is stopped with its
// container under --container. It returns the container to stop, an error
// that refuses the socket, or neither for a plain process.
func (o *Options) containerFor(ctx context.Context, t target, s portolan.Socket) (*portolan.Container, error) {
	h := o.holderOf(ctx, s.Owner.PID)
	if h == nil {
		return nil, nil
	}
	p := h.Published
	if p == nil && docker.Forwarder(s.Owner.Name) {
		if p = o.Engines.HeldFor(ctx, &s); p == nil {
			return nil, portolan.Errorf(portolan.ECONFLICT, "port %s (%s %s) is held by %s (pid %d), a container engine's own process (its API, or a port it keeps for a container): kill does not signal the engine; docker ps (or podman ps) names the container that publishes it",
				t, s.Proto, s.Local, cmdutil.Sanitize(s.Owner.Name), s.Owner.PID)
		}
	}
	if p != nil {
		c := p.Container
		if c == nil || c.ID == "" {
			why := "the engine does not list it"
			if c != nil && c.NoEngine != "" {
				why = c.NoEngine
			}
			return nil, portolan.Errorf(portolan.ECONFLICT, "port %s (%s %s) is a container's published port: %s (pid %d) forwards it to %s, and signalling it would leave the container running without its port; the container is unknown (%s): stop it with its engine (docker ps names it)",
				t, s.Proto, s.Local, p.Via, s.Owner.PID, p.Target, cmdutil.Sanitize(why))
		}
		if !o.Container {
			return nil, portolan.Errorf(portolan.ECONFLICT, "port %s (%s %s) is published by %s: %s (pid %d) forwards it to %s, and signalling it would leave the container running without its port; --container stops the container (%s stop %s)",
				t, s.Proto, s.Local, cmdutil.Sanitize(holder.ContainerLabel(c)), p.Via, s.Owner.PID, p.Target, c.Engine, cmdutil.Sanitize(c.Label()))
		}
		return c, nil
	}
	if !o.Container {
		return nil, nil
	}
	if h.Container == nil {
		return nil, portolan.Errorf(portolan.EINVALID, "--container: port %s (%s %s) is held by pid %d (%s), which runs in no container; without --container it is signalled",
			t, s.Proto, s.Local, s.Owner.PID, cmdutil.Sanitize(s.Owner.Name))
	}
	return h.Container, nil
}

// published looks for containers that publish t through DNAT rules alone
// (dockerd --userland-proxy=false): no process listens, yet the port is
// the container's. With --container they are queued to stop.
func (o *Options) published(ctx context.Context, t target) ([]*portolan.Container, error) {
	var cs []*portolan.Container
	for _, pr := range []portolan.Proto{portolan.TCP, portolan.UDP} {
		if pr.Matches(t.proto) {
			cs = append(cs, o.Engines.Publishing(ctx, "docker", pr, t.port)...)
		}
	}
	if len(cs) == 0 || o.Container {
		return cs, nil
	}
	return nil, portolan.Errorf(portolan.ECONFLICT, "no process listens on port %s, but %s publishes it (the firewall forwards it to the container); --container stops the container (%s stop %s)",
		t, cmdutil.Sanitize(holder.ContainerLabel(cs[0])), cs[0].Engine, cmdutil.Sanitize(cs[0].Label()))
}

// queueStop adds a container to stop for target t (s: the socket, when a
// process holds one).
func (o *Options) queueStop(c *portolan.Container, t target, s *portolan.Socket) {
	i := slices.IndexFunc(o.stops, func(st *stop) bool { return st.c.ID == c.ID })
	if i < 0 {
		o.stops = append(o.stops, &stop{c: c})
		i = len(o.stops) - 1
	}
	st := o.stops[i]
	if s != nil {
		st.socks = append(st.socks, *s)
	}
	if !slices.Contains(st.targets, t) {
		st.targets = append(st.targets, t)
	}
}

// stopContainers stops the queued containers through their engines (or,
// with --dry-run, says it would). A container that did not stop has its
// targets dropped from held: they will not come free.
func (o *Options) stopContainers(ctx context.Context, held map[target][]portolan.Socket, rep *report) {
	for _, st := range o.stops {
		c := st.c
		what := fmt.Sprintf("container %s (%s, %s)", cmdutil.Sanitize(c.Label()), c.Engine, c.ID[:12])
		where := st.where()
		rec := Container{Engine: c.Engine, ID: c.ID, Name: c.Name, Action: "stop", Sockets: where}
		if o.DryRun {
			o.res.Containers = append(o.res.Containers, rec)
			o.say("would stop %s through its engine (%s stop, SIGKILL from the engine after %s) for %s\n", what, c.Engine, grace(o.Timeout), portsOf(st))
			continue
		}
		start := time.Now()
		if err := o.Engines.Stop(ctx, c, o.Timeout); err != nil {
			t := st.targets[0]
			o.fail(rep, &t, "refused", portolan.Errorf(portolan.EINTERNAL, "could not stop %s: %v", what, err))
			for _, t := range st.targets {
				delete(held, t)
			}
			continue
		}
		o.res.Containers = append(o.res.Containers, rec)
		o.say("stopped %s for %s after %s\n", what, portsOf(st), time.Since(start).Round(time.Millisecond))
	}
}

func grace(d time.Duration) string {
	if d <= 0 {
		return "its own stop timeout"
	}
	return ((d + time.Second - 1) / time.Second * time.Second).String()
}

func (st *stop) where() []string {
	out := []string{}
	for _, s := range st.socks {
		w := s.Proto.String() + " " + s.Local.String()
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func portsOf(st *stop) string {
	if w := st.where(); len(w) > 0 {
		return strings.Join(w, ", ")
	}
	var ts []string
	for _, t := range st.targets {
		ts = append(ts, "port "+t.String())
	}
	return strings.Join(ts, ", ")
}

// supervisor is o.Supervisor, or the holder's supervisor (a container's
// restart policy included).
func (o *Options) supervisor(ctx context.Context, pid int) *portolan.Supervisor {
	if o.Supervisor != nil {
		return o.Supervisor(pid)
	}
	if h := o.holderOf(ctx, pid); h != nil {
		return h.Supervisor
	}
	return nil
}

// isContainers handles a socket that is a container's (see containerFor):
// true when it was queued for the container's stop or refused.
func (o *Options) isContainers(ctx context.Context, t target, s portolan.Socket, rep *report, ok *bool) bool {
	c, err := o.containerFor(ctx, t, s)
	switch {
	case err != nil:
		o.fail(rep, &t, "refused", err)
		*ok = false
	case c != nil:
		o.queueStop(c, t, &s)
	default:
		return false
	}
	return true
}
