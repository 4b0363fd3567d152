// Package fleet is the `portolan fleet` verb: the hosts that report to a
// server, where a port listens across them, their drift from the plan, and
// how a host's listeners changed between two times.
package fleet

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/spf13/cobra"
)

// Options are the inputs of one fleet run.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*porthttp.Client, error)
	JSON   bool
	Host   string
	Now    func() time.Time
}

// NewCmdFleet returns the fleet command and its subcommands.
func NewCmdFleet(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Now: time.Now, Client: func() (*porthttp.Client, error) { return client(f) }}
	cmd := &cobra.Command{
		Use:   "fleet [where PORT|NAME | drift [--host H] | diff HOST@TIME HOST@TIME] [--server URL]",
		Short: "The hosts that report to a server: state, listeners, drift and changes",
		Long: `The fleet is every host whose agent (portolan agent) reports to a server. Without a
subcommand: each host with its state (fresh; stale after three missed reports; gone
after ten), its listeners and its drift. The server comes from --server or
$PORTOLAN_ADDR; reads from another host need a read token ($PORTOLAN_TOKEN).`,
		Example: `  portolan fleet --server http://portolan.internal:7780
  portolan fleet where 5432          which hosts listen on 5432, and what
  portolan fleet drift --host db-1   how db-1 differs from the assignments
  portolan fleet diff db-1@-1h db-1@now`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return Hosts(cmd.Context(), o) },
	}
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	addServerFlags(cmd, f)
	where := &cobra.Command{
		Use:   "where PORT[/PROTO]|NAME",
		Short: "Which hosts listen on a port (or an assignment's or service's ports), with the programs",
		Args:  cmdutil.ExactArgs(1, "PORT|NAME"),
		RunE:  func(cmd *cobra.Command, args []string) error { return Where(cmd.Context(), o, args[0]) },
	}
	drift := &cobra.Command{
		Use:   "drift [--host H]",
		Short: "How hosts differ from the assignments: unregistered, down, foreign, exposed",
		Long: `Drift compares each host's listeners with the assignments whose --hosts glob
matches it: unregistered (a listener on a system or user port no assignment covers),
down (an assignment with nothing listening), foreign (an assigned port held by a
program the assignment does not name), exposed (an assignment for loopback only,
reachable beyond it). A change counts when two reports in a row agree.
Exit 1 when there is drift.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return Drift(cmd.Context(), o) },
	}
	drift.Flags().StringVar(&o.Host, "host", "", "only this host (name or id)")
	diff := &cobra.Command{
		Use:   "diff HOST@TIME HOST@TIME",
		Short: "How a host's listeners changed between two times (or differ between two hosts)",
		Long: `Rebuild each side's listeners from the server's events and print what the second
has that the first has not (+) and the reverse (-). TIME is RFC 3339
(2026-11-28T10:00:00Z), a duration before now (-1h, -30m) or now.`,
		Args: cmdutil.ExactArgs(2, "HOST@TIME HOST@TIME"),
		RunE: func(cmd *cobra.Command, args []string) error { return Diff(cmd.Context(), o, args[0], args[1]) },
	}
	for _, c := range []*cobra.Command{where, drift, diff} {
		cmdutil.AddJSONFlag(c, &o.JSON)
		addServerFlags(c, f)
		cmd.AddCommand(c)
	}
	return cmd
}

// addServerFlags is cmdutil.AddServerFlags for verbs that only read a
// server: there is no fleet to work on locally.
func addServerFlags(cmd *cobra.Command, f *cmdutil.Factory) {
	cmdutil.AddServerFlags(cmd, f)
	cmd.Flags().Lookup("server").Usage = "portolan server URL, e.g. http://127.0.0.1:7780 (default $PORTOLAN_ADDR; required)"
}

func client(f *cmdutil.Factory) (*porthttp.Client, error) {
	url, token := f.RemoteServer()
	if url == "" {
		return nil, cmdutil.FlagErrorf("fleet reads a server: want --server URL or $PORTOLAN_ADDR (e.g. http://127.0.0.1:7780)")
	}
	return porthttp.NewClient(url, token), nil
}

// QuerySection is the Fleet section of `portolan QUERY` (query.Options.Fleet):
// the listeners on a port across the fleet of the server --server names;
// none without a server, or from one that keeps no fleet.
func QuerySection(f *cmdutil.Factory) func(context.Context, portolan.Port, portolan.Proto) ([]portolan.FleetListener, error) {
	return func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.FleetListener, error) {
		url, token := f.RemoteServer()
		if url == "" {
			return nil, nil
		}
		q := p.String()
		if proto != portolan.ProtoAny {
			q += "/" + proto.String()
		}
		w, err := porthttp.NewClient(url, token).FleetWhere(ctx, q)
		if portolan.ErrorCode(err) == portolan.EUNSUPPORTED {
			return nil, nil
		}
		return w.Listeners, err
	}
}

// Hosts prints the hosts: name, id, state, last report, listeners, drift.
func Hosts(ctx context.Context, o *Options) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	hs, err := c.Hosts(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, hs); err != nil || len(hs) > 0 {
			return err
		}
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	if len(hs) == 0 {
		return portolan.Errorf(portolan.ENOTFOUND, "no host reports to %s", c.BaseURL())
	}
	tp := tableprinter.New(o.IO, "host", "id", "state", "last report", "listeners", "drift")
	for _, h := range hs {
		tp.AddRow(h.Name, shortID(h.ID), string(h.State), ago(o.Now(), h.LastSeen, o.IO.IsStdoutTTY()), strconv.Itoa(h.Listeners), strconv.Itoa(h.Drift))
	}
	return tp.Render()
}

// Where prints every host's listeners on the ports q names.
func Where(ctx context.Context, o *Options, q string) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	w, err := c.FleetWhere(ctx, q)
	if err != nil {
		return err
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, w); err != nil || len(w.Listeners) > 0 {
			return err
		}
		return cmdutil.Exit(cmdutil.ExitNotFound) // as the table: the format does not change the answer
	}
	if len(w.Listeners) == 0 {
		return portolan.Errorf(portolan.ENOTFOUND, "no host listens on %s", portsText(w.Ports))
	}
	tp := tableprinter.New(o.IO, "host", "proto", "address", "port", "program", "reach")
	tp.Flexible(4)
	for _, l := range w.Listeners {
		tp.AddRow(l.HostName, l.Proto.String(), l.Addr.String(), l.Port.String(), l.Program, string(l.Reach))
	}
	return tp.Render()
}

// Drift prints the active drift, exit 1 when there is any.
func Drift(ctx context.Context, o *Options) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	hosts, err := hostsByID(ctx, c)
	if err != nil {
		return err
	}
	id := ""
	if o.Host != "" {
		if id = resolveHost(hosts, o.Host); id == "" {
			return portolan.Errorf(portolan.ENOTFOUND, "host %q does not report to %s: want a name or id from `portolan fleet`", o.Host, c.BaseURL())
		}
	}
	d, err := c.Drift(ctx, id)
	if err != nil {
		return err
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, d); err != nil {
			return err
		}
	} else if len(d) > 0 {
		tp := tableprinter.New(o.IO, "host", "kind", "port", "program", "detail", "since")
		tp.Flexible(3, 4) // a program's path is as long as a detail
		for _, di := range d {
			tp.AddRow(hosts[di.HostID].Name, string(di.Kind), fmt.Sprintf("%d/%s", di.Port, di.Proto), tableprinter.Dash(di.Program), di.Detail, ago(o.Now(), di.Since, o.IO.IsStdoutTTY()))
		}
		if err := tp.Render(); err != nil {
			return err
		}
	}
	if len(d) > 0 {
		return cmdutil.Exit(1)
	}
	if !o.JSON && o.IO.IsStderrTTY() {
		fmt.Fprintln(o.IO.ErrOut, "no drift")
	}
	return nil
}

// hostsByID reads the server's hosts, by id.
func hostsByID(ctx context.Context, c *porthttp.Client) (map[string]portolan.FleetHost, error) {
	hs, err := c.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]portolan.FleetHost, len(hs))
	for _, h := range hs {
		m[h.ID] = h
	}
	return m, nil
}

// resolveHost finds a host by id, then by name.
func resolveHost(hosts map[string]portolan.FleetHost, h string) string {
	if _, ok := hosts[h]; ok {
		return h
	}
	for id, x := range hosts {
		if x.Name == h {
			return id
		}
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func portsText(ps []portolan.Port) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// ago is "12s ago" on a terminal, RFC 3339 on a pipe.
func ago(now, t time.Time, tty bool) string {
	if !tty {
		return t.UTC().Format(time.RFC3339)
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}
