// Package free is the `portolan free` verb: print ports that are free now
// and stay free for the caller for a short hold, so concurrent invocations
// (parallel test runners, scripts) never get the same port.
package free

import (
	"context"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// DefaultHold is how long `free` keeps its ports leased, so that the caller
// has time to bind them before anyone else can be given them.
const DefaultHold = 30 * time.Second

// Options are the inputs of one run.
type Options struct {
	IO     *iostreams.IOStreams
	Leases func() (portolan.LeaseService, error)
	// LeaseRequest is what is asked: its TTL is the hold (--hold).
	portolan.LeaseRequest
	JSON bool
}

// NewCmdFree returns the free command.
func NewCmdFree(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	var parse func() error
	cmd := &cobra.Command{
		Use:   "free [-n N] [--range user|dynamic|LO-HI] [--proto tcp|udp|both]",
		Short: "Print free ports that really bind, never the same to two callers",
		Long: `Print N distinct ports that are free now: each binds on the wildcard address of
IPv4 and IPv6 for TCP and UDP (or --proto), lies outside this host's ephemeral range
and reserved ports, is not IANA-assigned (unless --allow-assigned), is held by no
socket and named by no lease or assignment.

The ports stay leased for --hold (30s), so concurrent callers never get the same
one; without a daemon they take turns through a lock file in the state directory.`,
		Example: `  portolan free
  portolan free -n 3 --range 20000-29999
  PORT=$(portolan free --proto tcp) ./server`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parse(); err != nil {
				return err
			}
			opts.Leases = f.LeaseService
			return Run(cmd.Context(), opts)
		},
	}
	parse = cmdutil.AddLeaseFlags(cmd, &opts.LeaseRequest, "where to look: user (1024-49151 minus the ephemeral range), dynamic, or LO-HI")
	cmd.Flags().DurationVar(&opts.TTL, "hold", DefaultHold, "how long no one else may be given the ports")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run leases the ports with a TTL of o.Hold and prints them, one a line.
func Run(ctx context.Context, o *Options) error {
	if err := cmdutil.CheckCount(o.Count); err != nil {
		return err
	}
	if o.TTL <= 0 {
		return cmdutil.FlagErrorf("--hold %s is not positive: want a duration such as 30s", o.TTL)
	}
	svc, err := o.Leases()
	if err != nil {
		return err
	}
	req := o.LeaseRequest
	req.PID, req.Label = 0, "free"
	ls, err := svc.Grant(ctx, req)
	if err != nil {
		return err
	}
	return cmdutil.PrintLeases(o.IO, ls, o.JSON)
}
