// Package ports is the `portolan ports` verb: the named ports of this
// checkout (or, with --all, of every checkout on this host).
package ports

import (
	"context"
	"fmt"
	"os"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO    *iostreams.IOStreams
	Names func() (portolan.NameService, error)
	Dir   string
	All   bool
	Prune bool
	JSON  bool
}

// Entry is one named port of --json.
type Entry struct {
	portolan.NameKey
	Port     portolan.Port `json:"port"`
	Protocol string        `json:"protocol"`
	Created  string        `json:"created,omitempty"`
	Gone     bool          `json:"checkout_gone,omitempty"` // the worktree directory no longer exists
}

// NewCmdPorts returns the ports command.
func NewCmdPorts(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "ports [--all] [--prune] [--project DIR]",
		Short: "List the named ports of this checkout (--all: of every checkout here)",
		Long: `List the named ports of this checkout (portolan port NAME made them): name, port,
protocol. --all lists every checkout's on this host, with its path. --prune forgets the
names of checkouts whose directory is gone (a deleted worktree), so their ports return
to the pool.`,
		Example: `  portolan ports
  portolan ports --all
  portolan ports --all --prune`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = f.Names
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "every checkout's named ports on this host")
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "forget the names of checkouts whose directory is gone")
	cmd.Flags().StringVar(&opts.Dir, "project", "", "the checkout's directory (default: the working directory)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Run lists (and prunes).
func Run(ctx context.Context, o *Options) error {
	key, _, err := checkout.Key(o.Dir, "")
	if err != nil {
		return err
	}
	svc, err := o.Names()
	if err != nil {
		return err
	}
	all, err := svc.NamedPorts(ctx)
	if err != nil {
		return err
	}
	out := []Entry{}
	pruned := 0
	for _, np := range all {
		_, statErr := os.Stat(np.Worktree)
		gone := os.IsNotExist(statErr)
		if o.Prune && gone {
			if err := svc.Forget(ctx, np.NameKey); err != nil && portolan.ErrorCode(err) != portolan.ENOTFOUND {
				return err
			}
			pruned++
			continue
		}
		if !o.All && np.Worktree != key.Worktree {
			continue
		}
		e := Entry{NameKey: np.NameKey, Port: np.Port, Protocol: np.Proto.Label(), Gone: gone}
		if !np.Created.IsZero() {
			e.Created = np.Created.Format("2006-01-02T15:04:05Z07:00")
		}
		out = append(out, e)
	}
	if o.Prune && !o.JSON {
		fmt.Fprintf(o.IO.ErrOut, "%d names of deleted checkouts forgotten\n", pruned)
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, out)
	}
	if len(out) == 0 {
		if o.All {
			return portolan.Errorf(portolan.ENOTFOUND, "no named ports on this host: portolan port NAME makes one")
		}
		return portolan.Errorf(portolan.ENOTFOUND, "no named ports in %s: portolan port NAME makes one", key.Worktree)
	}
	head := []string{"NAME", "PORT", "PROTO"}
	if o.All {
		head = append(head, "WORKTREE", "PROJECT")
	}
	tp := tableprinter.New(o.IO, head...)
	if o.All {
		tp.Flexible(3, 4)
	}
	for _, e := range out {
		cells := []string{cmdutil.Sanitize(e.Name), e.Port.String(), e.Protocol}
		if o.All {
			wt := cmdutil.Sanitize(e.Worktree)
			if e.Gone {
				wt += " (gone)"
			}
			cells = append(cells, wt, cmdutil.Sanitize(e.Project))
		}
		tp.AddRow(cells...)
	}
	return tp.Render()
}
