// Package exposure is `portolan exposure`: every listener's reach (loopback,
// lan, all) against this host's addresses and the firewall's verdict, and
// a hardening check that fails when a listed port is reachable beyond
// loopback.
package exposure

import (
	"context"
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/spf13/cobra"
)

// Options configure the command.
type Options struct {
	IO     *iostreams.IOStreams
	List   func(context.Context, sockets.Filter) ([]portolan.Socket, error)
	FailOn []string // LEVEL:PORTS
	JSON   bool
}

// Result is the --json document.
type Result struct {
	Listeners []portolan.Exposure `json:"listeners"`
	// Failed are the listeners --fail-on names that reach at least its
	// level and that the firewall does not deny (unknown counts).
	Failed []portolan.Exposure `json:"failed"`
}

// NewCmdExposure returns the exposure command.
func NewCmdExposure(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, List: sockets.List}
	cmd := &cobra.Command{
		Use:   "exposure [--fail-on LEVEL:PORTS]",
		Short: "Which listeners other hosts can reach: bind scope and the firewall's verdict",
		Long: `exposure lists every listener with how far its bind reaches on this host's
addresses (loopback; lan: private or link-local; all: a public address, or a wildcard
on a host that has one) and, beyond loopback, what the netfilter ruleset (nftables,
iptables-nft, iptables-legacy) does with a new connection from another host: allow,
deny, or docker-dnat (a DNAT rule, as Docker writes for published ports, sends it past
the input chain). A ruleset it cannot read (not root) is "unknown", never "allow".

--fail-on lan:5432,6379 or all:27017 exits 1 when a listed port listens with at least
that reach and the firewall does not deny it (unknown counts as reachable): a CI or
hardening check.`,
		Example: `  portolan exposure
  portolan exposure --fail-on all:5432,6379,27017
  portolan exposure --fail-on lan:6379 --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return Run(cmd.Context(), o) },
	}
	cmd.Flags().StringArrayVar(&o.FailOn, "fail-on", nil, "exit 1 when one of `LEVEL:PORTS` (lan or all, ports comma-separated) is reachable that far")
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

type rule struct {
	level portolan.Reach
	ports map[portolan.Port]bool
}

func parseFailOn(specs []string) ([]rule, error) {
	var out []rule
	for _, s := range specs {
		lv, ps, ok := strings.Cut(s, ":")
		r := rule{level: portolan.Reach(strings.ToLower(lv)), ports: map[portolan.Port]bool{}}
		if !ok || (r.level != portolan.ReachLAN && r.level != portolan.ReachAll) || ps == "" {
			return nil, cmdutil.FlagErrorf("--fail-on %q: want LEVEL:PORTS, LEVEL lan or all, e.g. all:5432,6379", cmdutil.Sanitize(s))
		}
		for _, p := range strings.Split(ps, ",") {
			n, err := portolan.ParsePort(strings.TrimSpace(p))
			if err != nil || n == 0 {
				return nil, cmdutil.FlagErrorf("--fail-on %q: port %q is not 1-65535", cmdutil.Sanitize(s), cmdutil.Sanitize(p))
			}
			r.ports[n] = true
		}
		out = append(out, r)
	}
	return out, nil
}

// Fails reports whether e breaks r: the port is listed, the reach is at
// least r's level, and the firewall does not deny it.
func (r rule) fails(e portolan.Exposure) bool {
	if !r.ports[portolan.Port(e.Socket.Local.Port())] || !e.Exposed() {
		return false
	}
	return r.level == portolan.ReachLAN || e.Reach == portolan.ReachAll
}

// Run lists the exposures and applies --fail-on.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	rules, err := parseFailOn(o.FailOn)
	if err != nil {
		return err
	}
	fw := cmdutil.StartFirewall(ctx)
	socks, err := o.List(ctx, sockets.Filter{WithOwners: true})
	if err != nil {
		return err
	}
	res := Result{Listeners: cmdutil.Exposures(ctx, socks, fw), Failed: []portolan.Exposure{}}
	for _, e := range res.Listeners {
		for _, r := range rules {
			if r.fails(e) {
				res.Failed = append(res.Failed, e)
				break
			}
		}
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, res); err != nil {
			return err
		}
	} else if err := render(o.IO, res); err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return cmdutil.Exit(1)
	}
	return nil
}

func render(io *iostreams.IOStreams, res Result) error {
	t := tableprinter.New(io, "proto", "local address", "port", "reach", "firewall", "pid", "process", "rule")
	for _, e := range res.Listeners {
		pid, proc := "-", "-"
		if o := e.Socket.Owner; o != nil {
			pid, proc = fmt.Sprint(o.PID), cmdutil.Sanitize(o.Name)
		}
		fw := e.Firewall
		if fw == "" {
			fw = "-"
		}
		t.AddRow(e.Socket.Proto.String(), e.Socket.Local.Addr().String(), fmt.Sprint(e.Socket.Local.Port()),
			string(e.Reach), fw, pid, proc, cmdutil.Sanitize(e.Rule))
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, e := range res.Failed {
		fmt.Fprintf(io.ErrOut, "portolan: %s/%s reaches %s (firewall: %s)\n", e.Socket.Local, e.Socket.Proto, e.Reach, e.Firewall)
	}
	return nil
}
