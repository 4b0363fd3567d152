// Package assign is the `portolan assign` verb: register one of the
// organisation's ports, with every conflict explained.
package assign

import (
	"context"
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO          *iostreams.IOStreams
	Assignments func() (portolan.AssignmentService, error)

	Port  portolan.Port
	Proto portolan.Proto
	Name  string
	Owner string
	Note  string
	Hosts string
	// LoopbackOnly marks a service that must never be reached from another
	// host: the fleet reports it as exposed drift when it is.
	LoopbackOnly bool
	Force        bool
	JSON         bool
	Actor        string // who, for the audit log of a local store
	// Listeners returns what listens on a port on this host now (nil:
	// not checked); an assignment of a port in use gets a warning.
	Listeners func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error)
}

// Warnings the CLI adds to the store's conflicts: facts of this host and
// of the organisation's other assignments, never a reason to refuse.
const (
	ConflictListening = "listening" // something listens on the port here now
	ConflictName      = "name"      // the name already has another port
)

// NewCmdAssign returns the assign command.
func NewCmdAssign(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Listeners: sockets.Owners}
	cmd := &cobra.Command{
		Use:   "assign PORT/PROTO NAME",
		Short: "Register a port for one of your organisation's services",
		Long: `Register PORT/PROTO for the service NAME in your organisation's registry, so it keeps
the same port everywhere and no two applications clash.

Every conflict is explained: another assignment of the same port and protocol refuses
it; an IANA assignment to a different service needs --force; a port inside a common
ephemeral range (32768-60999 on Linux, 49152-65535 elsewhere) or a system port
(binding needs privilege) is assigned with a warning. Changes are audited.`,
		Example: `  portolan assign 7001/tcp billing --owner payments --note "primary API"
  portolan assign 5432/tcp billing-db --force
  portolan assign 7001/tcp billing --server http://ports.example:7780 --token $TOKEN`,
		Args: cmdutil.ExactArgs(2, "PORT/PROTO and NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, proto, err := cmdutil.ParsePortProto(args[0])
			if err != nil {
				return err
			}
			opts.Port, opts.Proto, opts.Name = p, proto, args[1]
			opts.Assignments = f.Assignments
			opts.Actor = cmdutil.CurrentUser()
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "team or person that owns the service")
	cmd.Flags().StringVar(&opts.Note, "note", "", "free text shown in listings")
	cmd.Flags().BoolVar(&opts.LoopbackOnly, "loopback-only", false, "the service must listen on loopback only (the fleet reports it as drift when reachable beyond)")
	cmd.Flags().StringVar(&opts.Hosts, "hosts", "", "glob of the hosts it applies to, e.g. 'db-*' (default: everywhere)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "assign even though IANA assigns the port to another service")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Result is the --json output. A refused assignment still prints one, with
// assignment null, every conflict found and the error (as the HTTP API's
// 409 does), so a script reads why from stdout.
type Result struct {
	Assignment *portolan.Assignment `json:"assignment"`
	Conflicts  []portolan.Conflict  `json:"conflicts"`
	Error      *ErrorBody           `json:"error,omitempty"`
}

// ErrorBody is the error of a refused assignment: its code and message.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Run assigns and reports: warnings on stderr, the result on stdout. A
// refused assignment returns ECONFLICT (exit 1) with its reason; the other
// conflicts found are printed first so the user sees them all at once.
func Run(ctx context.Context, o *Options) error {
	svc, err := o.Assignments()
	if err != nil {
		return err
	}
	a := &portolan.Assignment{Port: o.Port, Proto: o.Proto, Name: o.Name, Owner: o.Owner, Note: o.Note, Hosts: o.Hosts, CreatedBy: o.Actor}
	if o.LoopbackOnly {
		a.Scope = portolan.ScopeLoopbackOnly
	}
	others, _ := svc.Assignments(ctx, portolan.AssignmentFilter{Name: o.Name})
	cs, err := svc.Assign(ctx, a, o.Force)
	if err == nil {
		cs = append(cs, o.hostWarnings(ctx, a, others)...)
	}
	if o.Force {
		for i := range cs {
			// The store's message tells how to insist; the user did.
			cs[i].Message = strings.TrimSuffix(cs[i].Message, " (--force to assign anyway)")
		}
	}
	blocking, _ := portolan.Blocking(cs, o.Force)
	for _, c := range cs {
		if err != nil && c == blocking {
			continue // main prints the error itself
		}
		label := o.IO.Yellow("warning:")
		if c.Severity != portolan.Warn && err != nil {
			label = o.IO.Red("conflict:")
		}
		fmt.Fprintf(o.IO.ErrOut, "%s %s\n", label, c.Message)
	}
	if cs == nil {
		cs = []portolan.Conflict{}
	}
	if err != nil {
		if o.JSON && portolan.ErrorCode(err) == portolan.ECONFLICT {
			if werr := cmdutil.WriteJSON(o.IO, Result{Conflicts: cs, Error: &ErrorBody{Code: portolan.ECONFLICT, Message: portolan.ErrorMessage(err)}}); werr != nil {
				return werr
			}
		}
		return err
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, Result{Assignment: a, Conflicts: cs})
	}
	owner := ""
	if a.Owner != "" {
		owner = " (owner " + a.Owner + ")"
	}
	fmt.Fprintf(o.IO.Out, "assigned %d/%s to %s%s\n", a.Port, a.Proto, a.Name, owner)
	return nil
}

// hostWarnings says what the store cannot know: a process listens on the
// port on this host right now, or the name already had other ports.
func (o *Options) hostWarnings(ctx context.Context, a *portolan.Assignment, others []portolan.Assignment) []portolan.Conflict {
	var cs []portolan.Conflict
	var had []string
	for _, b := range others {
		if strings.EqualFold(b.Name, a.Name) && (b.Port != a.Port || b.Proto != a.Proto) {
			had = append(had, fmt.Sprintf("%d/%s", b.Port, b.Proto))
		}
	}
	if len(had) > 0 {
		cs = append(cs, portolan.Conflict{Kind: ConflictName, Severity: portolan.Warn,
			Message: fmt.Sprintf("%s already has %s: it now has %d ports (portolan unassign the old one if it moved)", a.Name, strings.Join(had, ", "), len(had)+1)})
	}
	if o.Listeners == nil || (a.Proto != portolan.TCP && a.Proto != portolan.UDP) {
		return cs
	}
	socks, err := o.Listeners(ctx, a.Port, a.Proto)
	if err != nil || len(socks) == 0 {
		return cs
	}
	who := "a process of user " + sockets.UserName(socks[0].UID)
	if p := socks[0].Owner; p != nil {
		who = fmt.Sprintf("pid %d (%s)", p.PID, cmdutil.Sanitize(p.Name))
	}
	cs = append(cs, portolan.Conflict{Kind: ConflictListening, Severity: portolan.Warn,
		Message: fmt.Sprintf("%d/%s is in use on this host now: %s listens on %s", a.Port, a.Proto, who, socks[0].Local)})
	return cs
}
