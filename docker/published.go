package docker

import (
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
)

// Published completes the listeners among socks with what their owners
// are (holder.Of, and a docker-proxy's container from the engine), in
// place, and returns the containers that publish p through DNAT rules
// alone: listed by the engine as publishing p while no forwarder holds it
// here. It is why's Sources.Containers.
func (e *Engines) Published(ctx context.Context, socks []portolan.Socket, p portolan.Port, proto portolan.Proto) []portolan.Published {
	forwarded := map[portolan.Proto]bool{}
	e.markHeld(ctx, socks)
	for i := range socks {
		ow := socks[i].Owner
		if ow == nil || !socks[i].Listening() {
			continue
		}
		h := ow.Holder
		if h == nil {
			got, err := holder.Of(ow.PID, holder.Options{})
			if err != nil {
				continue
			}
			h = &got
			cp := *ow
			cp.Holder = h
			socks[i].Owner = &cp
		}
		if h.Container == nil && h.Published == nil {
			continue
		}
		e.Complete(ctx, ow.PID, h)
		if h.Published != nil {
			forwarded[h.Published.Proto] = true
		}
	}
	var out []portolan.Published
	for _, pr := range []portolan.Proto{portolan.TCP, portolan.UDP} {
		if !pr.Matches(proto) || forwarded[pr] {
			continue
		}
		if _, why := e.socket("docker"); why != "" {
			continue // no engine here: nothing to ask
		}
		for _, c := range e.Publishing(ctx, "docker", pr, p) {
			pub := portolan.Published{Via: "dnat", Proto: pr, Container: c}
			for _, pp := range c.Ports {
				if pp.Proto == pr && pp.HostPort == p {
					pub.Host = hostPort(pp.HostIP, p)
					pub.Target = netipJoin(e.address(ctx, "docker", c), pp.ContainerPort)
					break
				}
			}
			out = append(out, pub)
		}
	}
	return out
}

// forwarders are the engine processes that hold a published port's socket
// themselves, with the engine that knows the container: dockerd reserves
// the port when it runs without the userland proxy (DNAT does the
// forwarding), rootlesskit forwards rootless Docker's, rootlessport and
// conmon rootless and rootful Podman's.
var forwarders = map[string]string{"dockerd": "docker", "rootlesskit": "docker", "rootlessport": "podman", "conmon": "podman"}

// Forwarder reports whether a process of this name holds sockets for the
// containers an engine publishes.
func Forwarder(name string) bool { return forwarders[name] != "" }

// HeldFor returns the published port a socket held by an engine process
// (Forwarder) is: the container its engine lists as publishing the
// socket's port, with the container's address and port. Nil when the
// owner is no forwarder, or its engine lists no such container (dockerd's
// own API socket).
func (e *Engines) HeldFor(ctx context.Context, s *portolan.Socket) *portolan.Published {
	if s.Owner == nil {
		return nil
	}
	engine := forwarders[s.Owner.Name]
	if engine == "" {
		return nil
	}
	port := portolan.Port(s.Local.Port())
	for _, c := range e.Publishing(ctx, engine, s.Proto, port) {
		pub := &portolan.Published{Via: s.Owner.Name, Proto: s.Proto, Host: s.Local.String(), Container: c}
		for _, pp := range c.Ports {
			if pp.Proto == s.Proto && pp.HostPort == port {
				if a := e.address(ctx, engine, c); a != "" {
					pub.Target = netipJoin(a, pp.ContainerPort)
				}
				break
			}
		}
		return pub
	}
	return nil
}

// markHeld gives each socket an engine forwarder holds its own holder
// with the published port it is (holders are shared per process, and a
// forwarder holds the ports of many containers).
func (e *Engines) markHeld(ctx context.Context, socks []portolan.Socket) {
	for i := range socks {
		ow := socks[i].Owner
		if ow == nil || !Forwarder(ow.Name) || !socks[i].Listening() {
			continue
		}
		if ow.Holder != nil && ow.Holder.Published != nil {
			continue
		}
		pub := e.HeldFor(ctx, &socks[i])
		if pub == nil {
			continue
		}
		var h portolan.Holder
		if ow.Holder != nil {
			h = *ow.Holder
		}
		h.Published = pub
		h.Project = nil // the engine's working directory says nothing
		cp := *ow
		cp.Holder = &h
		socks[i].Owner = &cp
	}
}
