// Package wait is `portolan wait HOST:PORT... [--close] [-- CMD...]`: block
// until ports open (or close), then run CMD.
package wait

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/probeutil"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Options configure a wait.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Lookup   probe.Lookup                                               // nil: the system resolver
	Local    func(ctx context.Context, ap netip.AddrPort) (bool, error) // the socket table; nil: always connect
	Targets  []string
	Command  []string
	Timeout  time.Duration
	Close    bool
	Connect  bool
}

// NewCmdWait returns the wait command.
func NewCmdWait(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Registry: f.Registry, Local: probeutil.Listening}
	cmd := &cobra.Command{
		Use:   "wait HOST:PORT... [--timeout D] [--close] [-- CMD...]",
		Short: "Wait until ports open (or close), then run a command",
		Long: `Wait blocks until every HOST:PORT accepts connections on at least one of the
addresses its host resolves to (v4 and v6 alike), or with --close until none does, then
runs CMD and exits with its status (or 0 without CMD). All targets are awaited in
parallel. Ports on this host are watched in the socket table, re-read every 2 ms,
instead of connecting, so single-client servers and debuggers see no connection;
--connect forces connects. Remote ports are connected to with retries backing off
from 5 ms to 250 ms. After --timeout (0: wait forever) it exits 124 and never runs CMD.`,
		Example: "  portolan wait localhost:5432 -- psql -h localhost\n  portolan wait db:5432 cache:6379 --timeout 60s\n  portolan wait --close localhost:8080",
		Args:    cmdutil.MinimumArgs(1, "HOST:PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				o.Targets, o.Command = args[:dash], args[dash:]
				if len(o.Targets) == 0 {
					return cmdutil.FlagErrorf("wait: missing HOST:PORT before --; usage: %s", cmd.UseLine())
				}
			} else {
				o.Targets = args
			}
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.Timeout, "timeout", 30*time.Second, "give up after D and exit 124 (0: wait forever)")
	fl.BoolVar(&o.Close, "close", false, "wait until the ports stop accepting instead")
	fl.BoolVar(&o.Connect, "connect", false, "connect even to this host's ports instead of watching the socket table")
	return cmd
}

// Run waits, then runs the command.
func Run(ctx context.Context, o *Options) error {
	if o.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout %s is negative: want a duration like 30s, or 0 for no limit", o.Timeout)
	}
	hps := make([]probe.HostPort, len(o.Targets))
	for i, a := range o.Targets {
		hp, err := probe.ParseHostPort(a, probeutil.Resolver(o.Registry))
		if err != nil {
			return err
		}
		hps[i] = hp
	}
	tty := o.IO.IsStderrTTY()
	w := &probe.Waiter{Lookup: o.Lookup, Local: o.Local, IsLocal: probeutil.LocalAddrs(), Connect: o.Connect, Close: o.Close}
	if tty {
		want := "open"
		if o.Close {
			want = "close"
		}
		fmt.Fprintf(o.IO.ErrOut, "waiting for %s to %s", strings.Join(o.Targets, ", "), want)
		if o.Timeout > 0 {
			fmt.Fprintf(o.IO.ErrOut, " (timeout %s)", o.Timeout)
		}
		fmt.Fprintln(o.IO.ErrOut)
		w.Ready = func(hp probe.HostPort, p portolan.Port, ap netip.AddrPort, after time.Duration) {
			if o.Close {
				fmt.Fprintf(o.IO.ErrOut, "%s port %d closed after %s\n", hp.Host, p, after.Round(time.Millisecond))
			} else {
				fmt.Fprintf(o.IO.ErrOut, "%s port %d open on %s after %s\n", hp.Host, p, ap, after.Round(time.Millisecond))
			}
		}
	}
	wctx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if err := w.Wait(wctx, hps); err != nil {
		if ctx.Err() != nil {
			return cmdutil.Exit(130) // interrupted, not timed out
		}
		return err
	}
	if len(o.Command) == 0 {
		return nil
	}
	return runCommand(o)
}

// runCommand runs CMD with our streams and returns its exit status: the
// child's code, 128+signal when a signal ended it, 127 when it cannot be
// started (as shells do).
func runCommand(o *Options) error {
	c := exec.Command(o.Command[0], o.Command[1:]...)
	c.Stdin, c.Stdout, c.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return cmdutil.Exit(128 + int(ws.Signal()))
		}
		return cmdutil.Exit(ee.ExitCode())
	}
	fmt.Fprintf(o.IO.ErrOut, "portolan: %s: %v\n", o.Command[0], err)
	return cmdutil.Exit(127)
}
