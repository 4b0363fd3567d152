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
					pub.Target = e.address(ctx, c) + ":" + pp.ContainerPort.String()
					break
				}
			}
			out = append(out, pub)
		}
	}
	return out
}
