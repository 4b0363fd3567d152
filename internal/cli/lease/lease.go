// Package leasecmd is the `portolan lease` verb: lease ports to a process
// (by default the shell or script that runs portolan), until it exits, a
// TTL passes, or `portolan release`.
package leasecmd

import (
	"context"
	"os"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/lease"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO     *iostreams.IOStreams
	Leases func() (portolan.LeaseService, error)
	// Portserver is the portserver to ask (PORTSERVER_ADDRESS) when no
	// portolan server is named; "" to use Leases.
	Portserver            string
	portolan.LeaseRequest // what is asked

	JSON bool
}

// NewCmdLease returns the lease command.
func NewCmdLease(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	var parse func() error
	cmd := &cobra.Command{
		Use:   "lease [--ttl D] [--pid N] [--proto tcp|udp|both]",
		Short: "Lease free ports to a process until it exits, a TTL passes, or release",
		Long: `Lease free ports (see 'portolan free' for what free means) and print them.

The lease belongs to --pid, by default the process that ran portolan (your shell or
script): when that process exits, the ports come back. A PID reused later by another
process does not inherit them. --ttl ends the lease after a time; --pid 0 leaves it
to the TTL or 'portolan release'.

With PORTOLAN_ADDR (or --server) the lease comes from that portolan server; else with
PORTSERVER_ADDRESS from that portserver (one port, owned by --pid); else from the
local state directory.`,
		Example: `  PORT=$(portolan lease)
  portolan lease --ttl 10m --pid 0 -n 3 --label e2e`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parse(); err != nil {
				return err
			}
			opts.Leases = f.LeaseService
			url, _ := f.RemoteServer()
			if err := cmdutil.CheckServerURL(url); err != nil {
				return err
			}
			if url == "" {
				opts.Portserver = os.Getenv("PORTSERVER_ADDRESS")
			}
			if !cmd.Flags().Changed("pid") {
				opts.PID = os.Getppid()
				// A server on another host cannot see this host's processes:
				// there the lease ends by TTL or release only.
				if url != "" && !cmdutil.IsLoopbackURL(url) {
					if opts.TTL == 0 {
						return cmdutil.FlagErrorf("server %s is on another host and cannot watch pid %d: give --ttl D (or --pid 0 to hold the lease until released)", url, opts.PID)
					}
					opts.PID = 0
				}
			}
			return Run(cmd.Context(), opts)
		},
	}
	parse = cmdutil.AddLeaseFlags(cmd, &opts.LeaseRequest, "where to look: user, dynamic, or LO-HI")
	fl := cmd.Flags()
	fl.DurationVar(&opts.TTL, "ttl", 0, "end the lease after this long (0: when the owner exits or on release)")
	fl.IntVar(&opts.PID, "pid", 0, "owner process (default: the parent of portolan; 0: none)")
	fl.StringVar(&opts.Label, "label", "", "free text shown in listings")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run grants the leases and prints them.
func Run(ctx context.Context, o *Options) error {
	if err := cmdutil.CheckCount(o.Count); err != nil {
		return err
	}
	if o.TTL < 0 {
		return cmdutil.FlagErrorf("--ttl %s is negative: want a duration such as 10m, or 0 for none", o.TTL)
	}
	if o.PID < 0 {
		return cmdutil.FlagErrorf("--pid %d is not a process id: want a number above 0, or 0 for none", o.PID)
	}
	if o.Portserver != "" {
		return o.askPortserver(ctx)
	}
	svc, err := o.Leases()
	if err != nil {
		return err
	}
	ls, err := svc.Grant(ctx, o.LeaseRequest)
	if err != nil {
		return err
	}
	return cmdutil.PrintLeases(o.IO, ls, o.JSON)
}

// askPortserver speaks the portserver protocol, which knows one port per
// request and nothing but the owner PID.
func (o *Options) askPortserver(ctx context.Context) error {
	if o.TTL != 0 || o.PID == 0 || o.Label != "" || o.Assigned || o.Unsafe || o.Proto != portolan.ProtoAny || (o.Pool != "" && o.Pool != lease.PoolUser) {
		return cmdutil.FlagErrorf("PORTSERVER_ADDRESS=%s speaks the portserver protocol, which takes only an owner pid: unset it, or use --server for --ttl, --label, --proto, --range, --allow-assigned", o.Portserver)
	}
	var ls []portolan.Lease
	for range o.Count {
		p, err := lease.AskPortserver(ctx, o.Portserver, o.PID)
		if err != nil {
			return err
		}
		ls = append(ls, portolan.Lease{Port: p, PID: o.PID})
	}
	return cmdutil.PrintLeases(o.IO, ls, o.JSON)
}
