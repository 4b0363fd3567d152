// Package check is `portolan check HOST:PORT...`: is each port open,
// closed, filtered, or unreachable, on every address of its host.
package check

import (
	"context"
	"net/netip"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/probeutil"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Options configure a check.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Lookup   probe.Lookup // nil: the system resolver
	Args     []string
	Timeout  time.Duration
	JSON     bool
}

// NewCmdCheck returns the check command.
func NewCmdCheck(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "check HOST:PORT...",
		Short: "Is a port open? One connect per address, with open, closed, filtered or error",
		Long: `Check connects once to every address of each HOST (a name's v4 and v6 addresses, or a
literal; IPv6 in brackets: [::1]:8080) on each PORT (a number, a list, a range or a
service name: localhost:ssh,https) and prints one row per address: open (accepted),
closed (refused), filtered (no answer within --timeout, or unreachable) or error.
Exit 0 when every HOST:PORT is open on at least one of its addresses, else 1.`,
		Example: "  portolan check localhost:5432\n  portolan check [::1]:8080 db.internal:postgresql --timeout 500ms",
		Args:    cmdutil.MinimumArgs(1, "HOST:PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return Run(cmd.Context(), o)
		},
	}
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 2*time.Second, "wait this long for an answer before calling a port filtered")
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

// Run checks and prints. A host that does not resolve is an error row.
func Run(ctx context.Context, o *Options) error {
	if o.Timeout <= 0 {
		return cmdutil.FlagErrorf("--timeout %s: want a positive duration, e.g. 2s", o.Timeout)
	}
	hps := make([]probe.HostPort, len(o.Args))
	for i, a := range o.Args {
		hp, err := probe.ParseHostPort(a, probeutil.Resolver(o.Registry))
		if err != nil {
			return err
		}
		hps[i] = hp
	}
	var probes []probe.Probe
	var unresolved []probe.Result
	for _, hp := range hps {
		t, err := probe.ParseTarget(ctx, hp.Host, probe.TargetOptions{Lookup: o.Lookup})
		for _, p := range hp.Ports {
			if err != nil {
				unresolved = append(unresolved, probe.Result{Target: hp.Host, Port: p, Proto: portolan.TCP, State: probe.Error, Reason: "error", Error: portolan.ErrorMessage(err)})
				continue
			}
			for _, a := range t.Addrs {
				probes = append(probes, probe.Probe{Target: hp.Host, Addr: netip.AddrPortFrom(a, uint16(p))})
			}
		}
	}
	res, _, err := probe.Scan(ctx, probes, probe.Options{Timeout: o.Timeout})
	if err != nil {
		return err
	}
	res = append(res, unresolved...)
	everyOpen := allOpen(hps, res)
	if o.JSON {
		err = probe.WriteJSONLines(o.IO.Out, res)
	} else {
		tp := tableprinter.New(o.IO, "TARGET", "ADDRESS", "PORT", "STATE", "RTT", "DETAIL")
		for _, r := range res {
			addr, rtt := "", ""
			if r.Addr.IsValid() {
				addr = r.Addr.Addr().String()
			}
			if r.State == probe.Open || r.State == probe.Closed {
				rtt = r.RTT.Round(time.Microsecond).String()
			}
			state := r.State.String()
			switch r.State {
			case probe.Open:
				state = o.IO.Green(state)
			case probe.Closed, probe.Error:
				state = o.IO.Red(state)
			case probe.Filtered:
				state = o.IO.Yellow(state)
			}
			detail := r.Reason
			if r.Error != "" {
				detail = r.Error
			}
			tp.AddRow(r.Target, addr, r.Port.String(), state, rtt, detail)
		}
		err = tp.Render()
	}
	if err != nil {
		return err
	}
	if !everyOpen {
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}

// allOpen reports whether every asked port of every target is open: a
// target's port counts as open when any of its addresses answered. One pass
// over the results, so `check HOST:-` (65,535 ports) stays linear.
func allOpen(hps []probe.HostPort, res []probe.Result) bool {
	type targetPort struct {
		target string
		port   portolan.Port
	}
	open := make(map[targetPort]bool, len(res))
	for _, r := range res {
		if r.State == probe.Open {
			open[targetPort{r.Target, r.Port}] = true
		}
	}
	for _, hp := range hps {
		for _, p := range hp.Ports {
			if !open[targetPort{hp.Host, p}] {
				return false
			}
		}
	}
	return true
}
