// Package release is the `portolan release` verb: end leases before their
// owner exits or their TTL passes.
package release

import (
	"context"
	"fmt"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO     *iostreams.IOStreams
	Leases func() (portolan.LeaseService, error)
	Ports  []portolan.Port
	JSON   bool
}

// Released is one line of release --json's array.
type Released struct {
	Port     portolan.Port `json:"port"`
	Released bool          `json:"released"`
	Error    string        `json:"error,omitempty"` // why not: "port 9 is not leased"
}

// NewCmdRelease returns the release command.
func NewCmdRelease(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "release PORT...",
		Short: "End leases so their ports can be handed out again",
		Example: `  portolan release 21417
  portolan release $(portolan lease -n 2)`,
		Args: cmdutil.MinimumArgs(1, "PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				p, err := portolan.ParsePort(a)
				if err != nil {
					return err
				}
				opts.Ports = append(opts.Ports, p)
			}
			opts.Leases = f.LeaseService
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run releases each port. A port that is not leased is reported and the
// rest still released; the run then exits 1.
func Run(ctx context.Context, o *Options) error {
	svc, err := o.Leases()
	if err != nil {
		return err
	}
	return cmdutil.Each[portolan.Port, Released]{
		Act:  func(p portolan.Port) error { return svc.Release(ctx, p) },
		Done: func(p portolan.Port) string { return fmt.Sprintf("released %d", p) },
		Row: func(p portolan.Port, err error) Released {
			if err != nil {
				return Released{Port: p, Error: portolan.ErrorMessage(err)}
			}
			return Released{Port: p, Released: true}
		},
	}.Run(o.IO, o.JSON, o.Ports)
}
