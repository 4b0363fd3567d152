package portolan

import (
	"fmt"
	"net/netip"
)

// publishedCause says that a container publishes the port: held by its
// forwarder (pid, blocking: the bind fails) or forwarded by DNAT rules
// (a bind here works, but connections go to the container).
func publishedCause(port Port, pid int, p *Published, held bool) Cause {
	c := Cause{Code: CausePublished, Blocks: held, Facts: map[string]string{"via": p.Via, "target": p.Target}}
	who := "a container"
	if p.Host != "" {
		c.Facts["host"] = p.Host
	}
	stop := "stop the container (docker ps names it)"
	if k := p.Container; k != nil && k.Name != "" {
		who = "container " + k.Name
		c.Facts["container"], c.Facts["container_id"], c.Facts["engine"] = k.Name, k.ID, k.Engine
		if k.Image != "" {
			c.Facts["image"] = k.Image
		}
		if k.Compose != nil {
			c.Facts["compose"] = k.Compose.Project + "/" + k.Compose.Service
			who += " (compose " + c.Facts["compose"] + ")"
		}
		stop = fmt.Sprintf("stop the container (`portolan kill %d --container`, or `%s stop %s`)", port, k.Engine, k.Name)
	} else if k != nil && k.NoEngine != "" {
		c.Facts["no_engine"] = k.NoEngine
	}
	if held {
		c.Summary = fmt.Sprintf("%d/%s is the published port of %s: %s (pid %d) holds %s and forwards it to the container's %s; signalling it would leave the container running without its port.",
			port, p.Proto, who, p.Via, pid, p.Host, p.Target)
	} else {
		c.Summary = fmt.Sprintf("%d/%s is the published port of %s: the firewall's DNAT rules forward it to the container's %s (no process here holds it); a server here binds, but its clients reach the container.",
			port, p.Proto, who, p.Target)
	}
	c.Fix = stop + ", publish it on another host port (-p OTHER:" + portOf(p.Target) + "), or choose another port (`portolan free`)"
	return c
}

// portOf is the port of "addr:port" (the container's side of a
// published port), or "PORT" when it is not there.
func portOf(target string) string {
	if ap, err := netip.ParseAddrPort(target); err == nil {
		return fmt.Sprint(ap.Port())
	}
	return "PORT"
}
