// Package query is portolan's default action, `portolan QUERY...`:
// everything about a port, a range or a service name — its class, every
// IANA record, the common uses, this host's ranges, and the sections other
// packages plug in (who listens here, leases, assignments). The answer is
// the library's one lookup (portolan.Lookup), the same the API serves.
package query

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

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
	// Fleet returns a server's fleet listeners on port p; nil: no section.
	Fleet func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.FleetListener, error)

	// Queries are the arguments; "-" reads more, one a line, from IO.In.
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
	root.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON document per query (schema in docs/know.md)")
	root.Example = `  portolan 443            everything about port 443
  portolan 53/udp         only UDP
  portolan https          by service name (any case)
  portolan 6000-6010      a range
  portolan 80,443 :8080   a list, and a port written as in a listen address
  portolan 5173 --json    as JSON
  seq 1 1024 | portolan - one query a line from stdin`
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

// Run answers every query. It exits 2 (EINVALID) on the first bad argument,
// before printing anything, and 1 when a name matched nothing. A bad line
// read from stdin is reported and skipped, and the run exits 2 at the end.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var qs []portolan.Query
	stdin := false
	for _, s := range o.Queries {
		if s == "-" {
			stdin = true
			continue
		}
		q, err := portolan.ParseQueries(s)
		if err != nil {
			return err
		}
		for _, x := range q {
			if err := x.Bounded(); err != nil {
				return err
			}
		}
		qs = append(qs, q...)
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	var host *portolan.HostRanges
	if o.Host != nil {
		if h, err := o.Host(); err == nil {
			ph := portolan.HostRanges(h)
			host = &ph
		}
	}
	a := &answerer{o: o, reg: reg, l: o.lookup(reg, host, stdin || len(qs) >= batchSize)}
	if stdin {
		// Batches are written through a buffer that is flushed whenever
		// the input has nothing more waiting: a co-process that writes one
		// query and waits still gets its answer.
		bw := bufio.NewWriterSize(o.IO.Out, 64<<10)
		a.out = bw
		defer bw.Flush()
	} else {
		a.out = o.IO.Out
	}
	for _, q := range qs {
		if err := a.answer(ctx, q); err != nil {
			return err
		}
	}
	if stdin {
		if err := a.stdin(ctx); err != nil {
			return err
		}
	}
	switch {
	case a.bad > 0:
		return cmdutil.Exit(cmdutil.ExitUsage)
	case a.missing > 0:
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}

// answerer prints the answers of one run.
type answerer struct {
	o            *Options
	reg          *registry.Registry
	l            *portolan.Lookup
	out          io.Writer
	plain        plainRows
	n            int // answers printed
	missing, bad int
}

func (a *answerer) answer(ctx context.Context, q portolan.Query) error {
	res, err := a.l.Answer(ctx, q)
	if err != nil {
		return err
	}
	o := a.o
	switch {
	case o.JSON:
		enc := json.NewEncoder(a.out)
		enc.SetEscapeHTML(false)
		if o.IO.IsStdoutTTY() {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	case o.IO.IsStdoutTTY():
		if a.n > 0 {
			fmt.Fprintln(a.out)
		}
		if err := renderTTY(o.IO, a.out, res); err != nil {
			return err
		}
	default:
		if err := a.plain.render(a.out, res); err != nil {
			return err
		}
	}
	a.n++
	if nf := res.NotFound(); nf != nil {
		a.missing++
		fmt.Fprintf(o.IO.ErrOut, "portolan: %s; try: portolan search %s\n", portolan.ErrorMessage(nf), q.Name)
	}
	return nil
}

// stdin answers the queries read from IO.In, one a line; blank lines and
// lines starting with # are skipped.
func (a *answerer) stdin(ctx context.Context) error {
	in := bufio.NewReaderSize(a.o.IO.In, 64<<10)
	// A batch's garbage is its answers, each dead once written, over a
	// live heap of decoded registry records: a higher collection target
	// halves the collections for a few megabytes more.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	var qs []portolan.Query
	for line := 1; ; line++ {
		if bw, ok := a.out.(*bufio.Writer); ok && in.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		s, err := in.ReadString('\n')
		if s == "" && err != nil {
			if err == io.EOF {
				return nil
			}
			return portolan.Errorf(portolan.EINTERNAL, "reading queries from stdin: %v", err)
		}
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			continue
		}
		var perr error
		qs, perr = portolan.AppendQueries(qs[:0], s)
		if perr != nil {
			a.bad++
			fmt.Fprintf(a.o.IO.ErrOut, "portolan: stdin line %d: %s\n", line, portolan.ErrorMessage(perr))
			continue
		}
		for _, q := range qs {
			if err := a.answer(ctx, q); err != nil {
				if portolan.ErrorCode(err) != portolan.EINVALID {
					return err
				}
				a.bad++
				fmt.Fprintf(a.o.IO.ErrOut, "portolan: stdin line %d: %s\n", line, portolan.ErrorMessage(err))
			}
		}
	}
}
