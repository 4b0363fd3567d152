// Package port is the `portolan port NAME` verb: the port that belongs to a
// service NAME in this checkout, the same on every call from any shell,
// script or agent, until it is forgotten.
package port

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO       *iostreams.IOStreams
	Names    func() (portolan.NameService, error)
	Name     string
	Dir      string // the checkout's directory (--project), "" = the working directory
	Prefer   portolan.Port
	Proto    portolan.Proto
	Pool     string
	Assigned bool
	Unsafe   bool // allow traps: ports browsers refuse, ports OS services hold
	Reassign bool
	Forget   bool
	All      bool // with Forget: every name of the checkout
	JSON     bool
	// Holders lists the listeners on a port (sockets.Owners when nil).
	Holders func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error)
	// Cwd is a process's working directory (/proc/PID/cwd when nil).
	Cwd func(pid int) (string, error)
}

// Result is the --json document.
type Result struct {
	portolan.NameKey
	Port     portolan.Port `json:"port"`
	Protocol string        `json:"protocol"` // tcp, udp or both
	Branch   string        `json:"branch,omitempty"`
	New      bool          `json:"new"` // picked by this call
	// Moved is the port the name had before --reassign.
	Moved portolan.Port `json:"moved_from,omitempty"`
}

// NewCmdPort returns the port command.
func NewCmdPort(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	var proto, prefer string
	cmd := &cobra.Command{
		Use:   "port NAME [--prefer P] [--proto tcp|udp|both] [--range R] [--project DIR]",
		Short: "The port of a service NAME in this checkout: the same on every call, per worktree",
		Long: `Print the port that belongs to NAME in this checkout: the same one on every call,
from any shell, script or agent, until it is forgotten. The checkout is the git
top level of the working directory (--project DIR to name another): every worktree
of a repository keeps its own ports, so parallel worktrees and agents never collide.

The first call picks a port with the lease policy (free on IPv4 and IPv6, outside
this host's ephemeral and reserved ranges, nobody's lease, assignment or name) and
stores it; --prefer P takes P when it qualifies, and otherwise a port near it. A later
call returns the stored port even while the checkout's own server holds it; when a
program from elsewhere holds it, port says who and exits 1 (--reassign moves NAME to
a free port). --forget NAME, or --forget --all, gives the ports back.`,
		Example: `  portolan port web
  portolan port api --prefer 8080
  npm run dev -- --port "$(portolan port web)"
  portolan port --forget web`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Forget && opts.All {
				return cmdutil.NoArgs(cmd, args)
			}
			return cmdutil.ExactArgs(1, "one NAME (letters, digits and hyphens, e.g. web)")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.All && !opts.Forget {
				return cmdutil.FlagErrorf("--all goes with --forget: portolan port --forget --all")
			}
			if len(args) == 1 {
				opts.Name = args[0]
			}
			p, err := cmdutil.ParseLeaseProto(proto)
			if err != nil {
				return err
			}
			if prefer != "" {
				if opts.Prefer, err = portolan.ParsePort(prefer); err != nil || opts.Prefer == 0 {
					return cmdutil.FlagErrorf("--prefer %q is not a port: want 1-65535", prefer)
				}
			}
			if err := cmdutil.CheckRange(cmd, opts.Pool); err != nil {
				return err
			}
			opts.Proto, opts.Names = p, f.Names
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&prefer, "prefer", "", "take this port when it qualifies, else one near it")
	fl.StringVar(&proto, "proto", "both", "tcp, udp or both: what must be free")
	fl.StringVar(&opts.Pool, "range", "", "pool to pick from: user (default), dynamic or LO-HI")
	fl.StringVar(&opts.Dir, "project", "", "the checkout's directory (default: the working directory)")
	fl.BoolVar(&opts.Assigned, "allow-assigned", false, "allow IANA-assigned ports")
	fl.BoolVar(&opts.Unsafe, "allow-unsafe", false, "allow ports browsers refuse (6000, 10080, ...) or an OS service usually holds (macOS AirPlay 5000, 7000)")
	fl.BoolVar(&opts.Reassign, "reassign", false, "move NAME to a free port when a program from elsewhere holds its port")
	fl.BoolVar(&opts.Forget, "forget", false, "give NAME's port back (with --all: every name of the checkout)")
	fl.BoolVar(&opts.All, "all", false, "with --forget: every name of this checkout")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Run prints NAME's port, picking it on the first call.
func Run(ctx context.Context, o *Options) error {
	if !o.All {
		if err := portolan.CheckName(o.Name); err != nil {
			return err
		}
	}
	key, co, err := checkout.Key(o.Dir, o.Name)
	if err != nil {
		return err
	}
	svc, err := o.Names()
	if err != nil {
		return err
	}
	if o.Forget {
		return forget(ctx, o, svc, key)
	}
	req := portolan.NameRequest{Key: key, Prefer: o.Prefer, Proto: o.Proto, Pool: o.Pool, Assigned: o.Assigned, Unsafe: o.Unsafe}
	np, created, err := svc.PortFor(ctx, req)
	if err != nil {
		return err
	}
	res := Result{NameKey: np.NameKey, Port: np.Port, Protocol: np.Proto.Label(), Branch: co.Branch, New: created}
	if !created {
		foreign, err := o.foreignHolder(ctx, np, co)
		if err != nil {
			return err
		}
		if foreign != "" {
			if !o.Reassign {
				return portolan.Errorf(portolan.ECONFLICT, "port %d of %s is held by %s, not by this checkout (%s): --reassign moves %s to a free port",
					np.Port, key.Name, foreign, co.Worktree, key.Name)
			}
			if err := svc.Forget(ctx, key); err != nil {
				return err
			}
			moved := np.Port
			if np, _, err = svc.PortFor(ctx, portolan.NameRequest{Key: key, Proto: o.Proto, Pool: o.Pool, Assigned: o.Assigned, Unsafe: o.Unsafe}); err != nil {
				return err
			}
			res.Port, res.New, res.Moved = np.Port, true, moved
			fmt.Fprintf(o.IO.ErrOut, "%s moved from %d (held by %s) to %d\n", key.Name, moved, foreign, np.Port)
		}
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, res)
	}
	_, err = fmt.Fprintln(o.IO.Out, res.Port)
	return err
}

func forget(ctx context.Context, o *Options, svc portolan.NameService, key portolan.NameKey) error {
	var keys []portolan.NameKey
	if o.All {
		all, err := svc.NamedPorts(ctx)
		if err != nil {
			return err
		}
		for _, np := range all {
			if np.Worktree == key.Worktree {
				keys = append(keys, np.NameKey)
			}
		}
	} else {
		keys = []portolan.NameKey{key}
	}
	for _, k := range keys {
		if err := svc.Forget(ctx, k); err != nil {
			return err
		}
		if !o.JSON {
			fmt.Fprintf(o.IO.ErrOut, "forgot %s\n", k.Name)
		}
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, map[string]any{"forgotten": len(keys)})
	}
	return nil
}

// foreignHolder names the program holding np's port when it is not this
// checkout's own (its working directory lies outside the worktree); "" when
// nothing listens, when the checkout's own server does, or when /proc hides
// the holder (it cannot be told apart, so the port stays).
func (o *Options) foreignHolder(ctx context.Context, np portolan.NamedPort, co checkout.Checkout) (string, error) {
	holders := o.Holders
	if holders == nil {
		holders = sockets.Owners
	}
	socks, err := holders(ctx, np.Port, np.Proto)
	if err != nil {
		if portolan.ErrorCode(err) == portolan.EUNSUPPORTED {
			return "", nil
		}
		return "", err
	}
	cwd := o.Cwd
	if cwd == nil {
		cwd = func(pid int) (string, error) { return os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd") }
	}
	for _, s := range socks {
		if s.Owner == nil {
			continue
		}
		dir, err := cwd(s.Owner.PID)
		if err != nil || co.Contains(dir) {
			continue
		}
		return fmt.Sprintf("pid %d (%s) running in %s", s.Owner.PID, cmdutil.Sanitize(s.Owner.Name), cmdutil.Sanitize(dir)), nil
	}
	return "", nil
}
