// Package why is `portolan why PORT[/PROTO]` (why a server cannot bind a
// port here, or that it can) and `portolan why HOST:PORT` (why a client
// cannot connect).
package why

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/why"
	"github.com/spf13/cobra"
)

// Options configure the command; tests set the functions.
type Options struct {
	IO      *iostreams.IOStreams
	Sources why.Sources
	Timeout time.Duration
	JSON    bool
	Arg     string
}

// Sections returns the store's sections (assignments over a range, the
// live leases), as the root wires them for lookups.
type Sections func(*cmdutil.Factory) (func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Assignment, error), func(context.Context) ([]portolan.Lease, error))

// NewCmdWhy returns the why command.
func NewCmdWhy(f *cmdutil.Factory, sections Sections) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Timeout: time.Second, Sources: cmdutil.WhySources(f)}
	if sections != nil {
		assign, leases := sections(f)
		if assign != nil {
			opts.Sources.Assignments = func(ctx context.Context, p portolan.Port) ([]portolan.Assignment, error) {
				return assign(ctx, portolan.Range{Lo: p, Hi: p}, portolan.ProtoAny)
			}
		}
		if leases != nil {
			opts.Sources.Leases = func(ctx context.Context, p portolan.Port) ([]portolan.Lease, error) {
				ls, err := leases(ctx)
				var out []portolan.Lease
				for _, l := range ls {
					if l.Port == p {
						out = append(out, l)
					}
				}
				return out, err
			}
		}
	}
	cmd := &cobra.Command{
		Use:   "why PORT[/PROTO] | HOST:PORT",
		Short: "Explain why a port will not bind here, or why a client cannot connect",
		Long: `why PORT says whether a server can bind PORT on this host and why not: a listener
(per family and address: 127.0.0.1 vs [::1], wildcard, dual-stack), only TIME_WAIT
sockets, an outgoing connection's local end, privilege, the kernel's reserved ports,
a portolan lease or assignment, and browsers' unsafe ports. It proves the verdict by
binding the port the ways servers do (0.0.0.0, [::] IPV6_V6ONLY, [::] dual-stack;
TCP and UDP unless /tcp or /udp is given; no SO_REUSEADDR) and closing at once.

why HOST:PORT resolves HOST as clients do (all addresses, /etc/hosts first), tries
each, and compares this host's own addresses with its listeners: the localhost split
(the client tries ::1 first, the server listens on 127.0.0.1), a loopback-only
server, refused versus no answer, a name that does not resolve.

Exit status: 0 it binds (connects), 1 it does not, 2 bad input.`,
		Example: `  portolan why 5173
  portolan why 53/udp
  portolan why localhost:5173 --json`,
		Args: cmdutil.ExactArgs(1, "PORT[/PROTO] or HOST:PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Arg = args[0]
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Second, "how long each connect waits for an answer (HOST:PORT)")
	return cmd
}

// Run answers one argument.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Timeout <= 0 || o.Timeout > time.Minute {
		return cmdutil.FlagErrorf("--timeout %s: want a duration between 1ms and 1m", o.Timeout)
	}
	if host, ps, err := net.SplitHostPort(o.Arg); err == nil {
		p, perr := portolan.ParsePort(ps)
		if perr != nil || p == 0 || host == "" {
			return portolan.Errorf(portolan.EINVALID, "%q: want PORT[/PROTO] or HOST:PORT with a port 1-65535", cmdutil.Sanitize(o.Arg))
		}
		rep, err := why.Connect(ctx, o.Sources, net.DefaultResolver, host, p, o.Timeout)
		if err != nil {
			return err
		}
		if err := render(o, rep, rep.Causes, rep.Connects); err != nil {
			return err
		}
		if !rep.Connects {
			return cmdutil.Exit(1)
		}
		return nil
	}
	p, proto, err := parsePort(o.Arg)
	if err != nil {
		return err
	}
	rep, err := why.Bind(ctx, o.Sources, p, proto)
	if err != nil {
		return err
	}
	if err := render(o, rep, rep.Causes, rep.WillBind); err != nil {
		return err
	}
	if !rep.WillBind {
		return cmdutil.Exit(1)
	}
	return nil
}

func render(o *Options, doc any, causes []portolan.Cause, ok bool) error {
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, doc)
	}
	io := o.IO
	switch r := doc.(type) {
	case portolan.BindReport:
		// The port as it would be typed: 5173/tcp, or 5173 for both.
		target := strconv.Itoa(int(r.Port))
		if r.Proto != portolan.ProtoAny {
			target += "/" + r.Proto.String()
		}
		verdict := io.Green(target + " will bind here.")
		if !ok {
			verdict = io.Red(target + " will not bind here.")
		}
		fmt.Fprintln(io.Out, verdict)
		var tries []string
		for _, t := range r.Tries {
			s := t.Proto.String() + " " + t.Addr + " ok"
			if !t.OK {
				s = t.Proto.String() + " " + t.Addr + ": " + t.Error
			}
			tries = append(tries, s)
		}
		fmt.Fprintln(io.Out, io.Dim("  tried: "+strings.Join(tries, "; ")))
	case portolan.ConnectReport:
		v := io.Green(fmt.Sprintf("%s:%d connects.", r.Host, r.Port))
		if !ok {
			v = io.Red(fmt.Sprintf("%s:%d: the first address does not connect.", cmdutil.Sanitize(r.Host), r.Port))
		}
		fmt.Fprintln(io.Out, v)
		for _, t := range r.Tries {
			fmt.Fprintf(io.Out, "  %s %s\n", t.Addr, t.Result)
		}
	}
	for _, c := range causes {
		mark := "note"
		if c.Blocks {
			mark = "cause"
		}
		fmt.Fprintf(io.Out, "\n%s %s\n  %s\n", io.Bold(mark), string(c.Code), cmdutil.Sanitize(c.Summary))
		if c.Fix != "" {
			fmt.Fprintf(io.Out, "  fix: %s\n", cmdutil.Sanitize(c.Fix))
		}
	}
	return nil
}

// parsePort parses PORT[/tcp|/udp]; no protocol means both.
func parsePort(s string) (portolan.Port, portolan.Proto, error) {
	bad := portolan.Errorf(portolan.EINVALID, "%q: want PORT[/tcp|/udp] (1-65535) or HOST:PORT", cmdutil.Sanitize(s))
	ps, protos, withProto := strings.Cut(s, "/")
	p, err := portolan.ParsePort(ps)
	if err != nil || p == 0 {
		return 0, 0, bad
	}
	proto := portolan.ProtoAny
	if withProto {
		switch strings.ToLower(protos) {
		case "tcp":
			proto = portolan.TCP
		case "udp":
			proto = portolan.UDP
		default:
			return 0, 0, bad
		}
	}
	return p, proto, nil
}
