// Package query is portolan's default action, `portolan QUERY...`:
// everything about a port, a range or a service name — its class, every
// IANA record, the common uses, this host's ranges, and the sections other
// packages plug in (who listens here, leases, assignments).
package query

import (
	"context"
	"fmt"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Options configure a query run. The section functions are optional: a nil
// one leaves its section empty, so each pillar plugs its own in (see
// Attach) without the lookup depending on it.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Host     func() (registry.HostRanges, error)

	// Sockets returns the sockets listening on ports r (with their owner
	// processes); EUNSUPPORTED leaves the section empty.
	Sockets func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error)
	// Leases returns the live leases; the query keeps those on its ports.
	Leases func(ctx context.Context) ([]portolan.Lease, error)
	// Assignments returns the organisation's assignments on ports r.
	Assignments func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Assignment, error)

	Queries []string
	JSON    bool
}

// NewOptions returns the options of the real binary.
func NewOptions(f *cmdutil.Factory) *Options {
	return &Options{IO: f.IOStreams, Registry: f.Registry, Host: f.HostRanges}
}

// Attach makes root run a query when it is given arguments and print its
// help when not. with functions plug optional sections into the options,
// e.g. query.Attach(cmd, f, func(o *query.Options) { o.Sockets = ... }).
func Attach(root *cobra.Command, f *cmdutil.Factory, with ...func(*Options)) *Options {
	opts := NewOptions(f)
	root.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document per query (schema in the README)")
	root.Example = `  portolan 443            everything about port 443
  portolan 53/udp         only UDP
  portolan https          by service name (any case)
  portolan 6000-6010      a range
  portolan 5173 --json    as JSON`
	// --version names the registry snapshot; it is read only when asked.
	cobra.AddTemplateFunc("registryDate", func() string {
		if opts.Registry == nil {
			return "unknown"
		}
		reg, err := opts.Registry()
		if err != nil {
			return "unreadable"
		}
		if reg.Path() != "" {
			return reg.Updated() + ", from " + reg.Path()
		}
		return reg.Updated() + ", embedded"
	})
	root.SetVersionTemplate("portolan {{.Version}} (IANA registry of {{registryDate}})\n")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		for _, w := range with {
			w(opts)
		}
		opts.Queries = args
		return Run(cmd.Context(), opts)
	}
	return opts
}

// Run answers every query. It exits 2 (EINVALID) on the first bad query,
// before printing anything, and 1 when a query found nothing.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	qs := make([]portolan.Query, len(o.Queries))
	for i, s := range o.Queries {
		q, err := portolan.ParseQuery(s)
		if err != nil {
			return err
		}
		qs[i] = q
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	var host *registry.HostRanges
	if o.Host != nil {
		if h, err := o.Host(); err == nil {
			host = &h
		}
	}
	missing := 0
	for i, q := range qs {
		res, err := Lookup(ctx, o, reg, host, q)
		if err != nil {
			return err
		}
		if !res.Found() {
			missing++
		}
		if o.JSON {
			if err := cmdutil.WriteJSON(o.IO, res); err != nil {
				return err
			}
			continue
		}
		if o.IO.IsStdoutTTY() {
			if i > 0 {
				fmt.Fprintln(o.IO.Out)
			}
			if err := renderTTY(o.IO, res); err != nil {
				return err
			}
		} else if err := renderPlain(o.IO, res); err != nil {
			return err
		}
		if !res.Found() && q.IsName() {
			fmt.Fprintf(o.IO.ErrOut, "portolan: no service named %q in IANA's registry (%s) or the common uses; try: portolan search %s\n", q.Name, reg.Updated(), q.Name)
		} else if !res.Found() {
			fmt.Fprintf(o.IO.ErrOut, "portolan: IANA has no record for %s and it has no common use\n", q.String())
		}
	}
	if missing > 0 {
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}
