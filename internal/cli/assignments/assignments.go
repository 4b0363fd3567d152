// Package assignments is the `portolan assignments` verb: list the
// organisation's port assignments, or their audit log.
package assignments

import (
	"context"
	"fmt"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO          *iostreams.IOStreams
	Assignments func() (portolan.AssignmentService, error)

	Owner string
	Name  string
	Port  string // PORT or PORT/PROTO
	Audit bool
	Limit int
	JSON  bool
}

// NewCmdAssignments returns the assignments command.
func NewCmdAssignments(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "assignments",
		Short: "List your organisation's port assignments (or, with --audit, their history)",
		Example: `  portolan assignments
  portolan assignments --owner payments --json
  portolan assignments --audit --limit 20`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFlags(cmd, opts); err != nil {
				return err
			}
			opts.Assignments = f.Assignments
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "only this owner's assignments")
	cmd.Flags().StringVar(&opts.Name, "name", "", "only assignments of this service name")
	cmd.Flags().StringVar(&opts.Port, "port", "", "only this PORT or PORT/PROTO")
	cmd.Flags().BoolVar(&opts.Audit, "audit", false, "show the audit log (who changed what, when), newest first")
	cmd.Flags().IntVar(&opts.Limit, "limit", 100, "with --audit: how many entries")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// checkFlags refuses flags that would be silently dropped: an empty --port
// or --name reads as "no filter", and --limit means nothing without --audit.
func checkFlags(cmd *cobra.Command, o *Options) error {
	fl := cmd.Flags()
	switch {
	case fl.Changed("port") && o.Port == "":
		return cmdutil.FlagErrorf("--port is empty: want PORT or PORT/PROTO, e.g. 5432/tcp")
	case fl.Changed("name") && o.Name == "":
		return cmdutil.FlagErrorf("--name is empty: want a service name, e.g. billing-db")
	case fl.Changed("limit") && !o.Audit:
		return cmdutil.FlagErrorf("--limit %d needs --audit: it caps the audit log, not the list of assignments", o.Limit)
	}
	return nil
}

func (o *Options) filter() (portolan.AssignmentFilter, error) {
	f := portolan.AssignmentFilter{Owner: o.Owner, Name: o.Name}
	if o.Port != "" {
		q, err := portolan.ParseQuery(o.Port)
		if err != nil || q.IsName() || !q.Ports.IsSingle() {
			return f, portolan.Errorf(portolan.EINVALID, "--port %q is not a port: want PORT or PORT/PROTO, e.g. 5432/tcp", o.Port)
		}
		p := q.Ports.Lo
		f.Port, f.Proto = &p, q.Proto
	}
	return f, nil
}

// Run lists; nothing to list is exit 1 (said on stderr on a terminal only).
func Run(ctx context.Context, o *Options) error {
	if o.Audit && (o.Limit < 1 || o.Limit > 10000) {
		return portolan.Errorf(portolan.EINVALID, "--limit %d is out of range: want 1-10000", o.Limit)
	}
	if o.Audit && (o.Owner != "" || o.Name != "" || o.Port != "") {
		// The audit log is not filtered: it would list every change.
		return cmdutil.FlagErrorf("--audit lists every change: --owner, --name and --port filter the assignments, not the audit log")
	}
	if o.Name != "" && assignment.ValidName(o.Name) != nil {
		// No assignment can carry such a name: say so rather than "none".
		return cmdutil.FlagErrorf("--name %q is not a service name: want 1-63 letters, digits and single hyphens with at least one letter, e.g. billing-db", o.Name)
	}
	f, err := o.filter()
	if err != nil {
		return err
	}
	svc, err := o.Assignments()
	if err != nil {
		return err
	}
	if o.Audit {
		return runAudit(ctx, o, svc)
	}
	as, err := svc.Assignments(ctx, f)
	if err != nil {
		return err
	}
	return cmdutil.List(o.IO, o.JSON, as, "no assignments", func() error {
		tp := tableprinter.New(o.IO, "port", "name", "owner", "hosts", "created", "by", "note")
		tp.Flexible(2, 3, 5, 6)
		for _, a := range as {
			tp.AddRow(fmt.Sprintf("%d/%s", a.Port, a.Proto), a.Name, a.Owner, a.Hosts,
				a.Created.Local().Format(time.DateOnly), a.CreatedBy, a.Note)
		}
		return tp.Render()
	})
}

func runAudit(ctx context.Context, o *Options, svc portolan.AssignmentService) error {
	es, err := svc.Audit(ctx, o.Limit)
	if err != nil {
		return err
	}
	if o.JSON {
		if es == nil {
			es = []portolan.AuditEntry{}
		}
		if err := cmdutil.WriteJSON(o.IO, es); err != nil {
			return err
		}
	} else {
		tp := tableprinter.New(o.IO, "time", "actor", "action", "subject", "detail")
		tp.Flexible(1, 4)
		for _, e := range es {
			tp.AddRow(e.Time.Local().Format(time.RFC3339), e.Actor, e.Action, e.Subject, e.Detail)
		}
		if err := tp.Render(); err != nil {
			return err
		}
	}
	if len(es) == 0 {
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}
