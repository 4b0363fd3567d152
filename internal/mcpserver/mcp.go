// Package mcpserver wires the library calls the CLI makes into the mcp
// adapter's tools, for the portolan-mcp binary that `portolan mcp` runs.
// It lives apart from the portolan binary because the MCP SDK's package
// initialisation (JSON Schema, gob, OAuth types) would cost every portolan
// process, lookups included, about 0.8 ms of start-up.
package mcpserver

import (
	"context"
	"fmt"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/holder"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/killutil"
	"github.com/portolan-dev/portolan/internal/procfs"
	"github.com/portolan-dev/portolan/mcp"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/portolan-dev/portolan/why"
)

// Run serves MCP on stdin and stdout until the client closes it or ctx
// ends; lookup is the query's (`portolan QUERY --json`).
func Run(ctx context.Context, f *cmdutil.Factory, lookup func(ctx context.Context, q string) ([]*portolan.Answer, error)) error {
	t, err := Tools(f, lookup)
	if err != nil {
		return err
	}
	return mcp.Serve(ctx, mcp.NewServer(f.Version, t))
}

// Tools wires the factory's calls into the MCP tools.
func Tools(f *cmdutil.Factory, lookup func(ctx context.Context, q string) ([]*portolan.Answer, error)) (mcp.Tools, error) {
	t := mcp.Tools{
		Lookup: lookup,
		Sockets: func(ctx context.Context, all bool, p portolan.Port) ([]portolan.Socket, error) {
			return sockets.List(ctx, sockets.Filter{All: all, Port: p, WithOwners: true})
		},
		Owners: func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
			return sockets.Owners(ctx, p, proto)
		},
		Key: func(dir, name string) (portolan.NameKey, error) {
			if name != "" {
				if err := portolan.CheckName(name); err != nil {
					return portolan.NameKey{}, err
				}
			}
			if dir == "" {
				return portolan.NameKey{}, portolan.Errorf(portolan.EINVALID, "dir is empty: want the checkout's absolute path")
			}
			k, _, err := checkout.Key(dir, name)
			return k, err
		},
		Wait: func(ctx context.Context, addr string) error {
			hp, err := probe.ParseHostPort(addr, nil)
			if err != nil {
				return err
			}
			w := &probe.Waiter{Local: func(ctx context.Context, ap netip.AddrPort) (bool, error) {
				socks, err := sockets.List(ctx, sockets.Filter{Port: portolan.Port(ap.Port()), Protos: []portolan.Proto{portolan.TCP}})
				for _, s := range socks {
					if s.Local.Addr().IsUnspecified() || s.Local.Addr() == ap.Addr() {
						return true, nil
					}
				}
				return false, err
			}}
			return w.Wait(ctx, []probe.HostPort{hp})
		},
		Kill: kill,
		Why:  whyTool(f),
	}
	if f.LeaseService != nil {
		ls, err := f.LeaseService()
		if err != nil {
			return t, err
		}
		t.Leases = ls
	}
	if f.Names != nil {
		ns, err := f.Names()
		if err != nil {
			return t, err
		}
		t.Names = ns
	}
	return t, nil
}

// kill signals (or, without confirm, names) the processes listening on p,
// refusing pid 1, this process's ancestors (the agent that started the
// server must survive any call it makes), and processes of other users.
func kill(ctx context.Context, p portolan.Port, proto portolan.Proto, confirm bool) (mcp.KillResult, error) {
	r := mcp.KillResult{Port: p, DryRun: !confirm, Signalled: []mcp.Victim{}, Refused: []mcp.Victim{}}
	socks, err := sockets.Owners(ctx, p, proto)
	if err != nil {
		return r, err
	}
	if len(socks) == 0 {
		return r, portolan.Errorf(portolan.ENOTFOUND, "nothing listens on port %d", p)
	}
	ancestors := ancestry()
	engines := &docker.Engines{}
	seen := map[int]bool{}
	for _, s := range socks {
		if s.Owner == nil {
			r.Refused = append(r.Refused, mcp.Victim{Reason: "the holder is hidden from this user"})
			continue
		}
		o := s.Owner
		if seen[o.PID] {
			continue
		}
		seen[o.PID] = true
		v := mcp.Victim{PID: o.PID, Name: cmdutil.Sanitize(o.Name), User: o.User}
		switch {
		case o.PID == 1:
			v.Reason = "pid 1 is never signalled"
		case ancestors[o.PID]:
			v.Reason = "it is this MCP server or its parent chain (the agent)"
		case o.UID != uint32(os.Geteuid()):
			v.Reason = fmt.Sprintf("it belongs to another user (uid %d)", o.UID)
		default:
			v.Reason = publishedReason(ctx, engines, s)
		}
		if v.Reason != "" {
			r.Refused = append(r.Refused, v)
			continue
		}
		if confirm {
			if err := killutil.Signal(o, 15); err != nil && err != killutil.ErrGone {
				v.Reason = err.Error()
				r.Refused = append(r.Refused, v)
				continue
			}
		}
		r.Signalled = append(r.Signalled, v)
	}
	return r, nil
}

// publishedReason refuses a container engine's forwarder: docker-proxy
// (or dockerd, conmon) holds a container's published port, and signalling
// it would leave the container running without its port. "" for any other
// process.
func publishedReason(ctx context.Context, engines *docker.Engines, s portolan.Socket) string {
	var pub *portolan.Published
	if h, err := holder.Of(s.Owner.PID, holder.Options{}); err == nil && h.Published != nil {
		engines.Complete(ctx, s.Owner.PID, &h)
		pub = h.Published
	} else if docker.Forwarder(s.Owner.Name) {
		pub = engines.HeldFor(ctx, &s)
		if pub == nil {
			return "it is a container engine's own process (" + cmdutil.Sanitize(s.Owner.Name) + "), never signalled"
		}
	}
	if pub == nil {
		return ""
	}
	if c := pub.Container; c != nil && c.Name != "" {
		return fmt.Sprintf("it holds the published port of container %s, which would keep running without it: stop the container (%s stop %s, or portolan kill %d --container)",
			cmdutil.Sanitize(c.Name), c.Engine, cmdutil.Sanitize(c.Name), s.Local.Port())
	}
	return fmt.Sprintf("it holds a container's published port (forwarded to %s), and the container would keep running without it: stop the container (docker ps names it)", pub.Target)
}

// ancestry is this process and every ancestor up to pid 1.
func ancestry() map[int]bool {
	out := map[int]bool{os.Getpid(): true}
	for pid, hops := os.Getppid(), 0; pid > 1 && hops < 4096; hops++ {
		out[pid] = true
		st, err := procfs.ReadStat(pid)
		if err != nil {
			break
		}
		pid = st.PPID
	}
	return out
}

// whyTool answers the why tool with the why verb's library calls.
func whyTool(f *cmdutil.Factory) func(ctx context.Context, target string) (any, error) {
	src := cmdutil.WhySources(f)
	return func(ctx context.Context, target string) (any, error) {
		if host, port, err := net.SplitHostPort(target); err == nil && host != "" {
			p, err := portolan.ParsePort(port)
			if err != nil || p == 0 {
				return nil, portolan.Errorf(portolan.EINVALID, "target %q: want PORT, PORT/udp or HOST:PORT with a port 1-65535", target)
			}
			return why.Connect(ctx, src, net.DefaultResolver, host, p, time.Second)
		}
		q, err := portolan.ParseQuery(target)
		if err != nil || q.IsName() || !q.Ports.IsSingle() {
			return nil, portolan.Errorf(portolan.EINVALID, "target %q: want PORT, PORT/udp or HOST:PORT, e.g. 5173 or localhost:5173", target)
		}
		return why.Bind(ctx, src, q.Ports.Lo, q.Proto)
	}
}
