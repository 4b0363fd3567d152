// Package unassign is the `portolan unassign` verb: remove one of the
// organisation's port assignments, audited.
package unassign

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
	IO          *iostreams.IOStreams
	Assignments func() (portolan.AssignmentService, error)
	Targets     []portolan.Key
	Actor       string
	JSON        bool
}

// Unassigned is one line of unassign --json's array.
type Unassigned struct {
	Port       portolan.Port  `json:"port"`
	Proto      portolan.Proto `json:"protocol"`
	Unassigned bool           `json:"unassigned"`
	Error      string         `json:"error,omitempty"` // why not: "7001/tcp is not assigned"
}

// NewCmdUnassign returns the unassign command.
func NewCmdUnassign(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "unassign PORT/PROTO...",
		Short: "Remove port assignments from your organisation's registry",
		Example: `  portolan unassign 7001/tcp
  portolan unassign 7001/tcp 7001/udp --server http://ports.example:7780`,
		Args: cmdutil.MinimumArgs(1, "PORT/PROTO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				p, proto, err := cmdutil.ParsePortProto(a)
				if err != nil {
					return err
				}
				opts.Targets = append(opts.Targets, portolan.Key{Port: p, Proto: proto})
			}
			opts.Assignments = f.Assignments
			opts.Actor = cmdutil.CurrentUser()
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run removes each target; it goes on after one that was not assigned and
// then fails with exit 1, as nothing was found for it.
func Run(ctx context.Context, o *Options) error {
	svc, err := o.Assignments()
	if err != nil {
		return err
	}
	return cmdutil.Each[portolan.Key, Unassigned]{
		Act:  func(k portolan.Key) error { return svc.Unassign(ctx, k.Port, k.Proto, o.Actor) },
		Done: func(k portolan.Key) string { return fmt.Sprintf("unassigned %d/%s", k.Port, k.Proto) },
		Row: func(k portolan.Key, err error) Unassigned {
			if err != nil {
				return Unassigned{Port: k.Port, Proto: k.Proto, Error: portolan.ErrorMessage(err)}
			}
			return Unassigned{Port: k.Port, Proto: k.Proto, Unassigned: true}
		},
	}.Run(o.IO, o.JSON, o.Targets)
}
