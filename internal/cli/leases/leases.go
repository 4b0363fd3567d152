// Package leases is the `portolan leases` verb: the live leases, from the
// local state directory or the server --server names.
package leases

import (
	"context"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO     *iostreams.IOStreams
	Leases func() (portolan.LeaseService, error)
	JSON   bool
	Now    func() time.Time
}

// NewCmdLeases returns the leases command.
func NewCmdLeases(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "leases [--json]",
		Short: "List the live leases: port, protocol, owner, label, expiry",
		Long: `List the leases that hold ports now: leases whose owner process has exited or
whose TTL has passed are not live and not listed. With --server (or PORTOLAN_ADDR)
the server's leases, else the local state directory's. Exit 1 when there are none.`,
		Example: `  portolan leases
  portolan leases --json | jq '.[].port'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Leases = f.LeaseService
			return Run(cmd.Context(), o)
		},
	}
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run lists the live leases: JSON ([Lease], as `lease --json` prints
// them), a table on a terminal, or "PORT PROTO PID LABEL EXPIRES" rows
// (RFC 3339, "-" for none) on a pipe.
func Run(ctx context.Context, o *Options) error {
	svc, err := o.Leases()
	if err != nil {
		return err
	}
	ls, err := svc.Leases(ctx)
	if err != nil {
		return err
	}
	return cmdutil.List(o.IO, o.JSON, ls, "no live leases", func() error {
		tp := tableprinter.New(o.IO, cmdutil.LeaseColumns...)
		tp.Flexible(3)
		for _, l := range ls {
			tp.AddRow(cmdutil.LeaseRow(l, o.Now(), o.IO.IsStdoutTTY())...)
		}
		return tp.Render()
	})
}
