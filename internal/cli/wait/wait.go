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
	"sync"
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
	JSON     bool
}

// Result is wait --json's document on stdout, written once the wait is
// over (before CMD runs): every target with its state.
type Result struct {
	Ready   bool           `json:"ready"`
	Targets []TargetResult `json:"targets"`
}

// TargetResult is one awaited port or URL. State is "open" or "closed"
// (as asked), or "waiting" when the wait ended first.
type TargetResult struct {
	Target  string        `json:"target"`
	Port    portolan.Port `json:"port,omitempty"`
	Address string        `json:"address,omitempty"` // the address that answered
	Status  int           `json:"status,omitempty"`  // a URL's HTTP status
	State   string        `json:"state"`
	AfterMS int64         `json:"after_ms"`
}

// NewCmdWait returns the wait command.
func NewCmdWait(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Registry: f.Registry, Local: probeutil.Listening}
	cmd := &cobra.Command{
		Use:   "wait HOST:PORT|URL... [--timeout D] [--close] [-- CMD...]",
		Short: "Wait until ports open (or close), then run a command",
		Long: `Wait blocks until every HOST:PORT accepts connections on at least one of the
addresses its host resolves to (v4 and v6 alike), or with --close until none does, then
runs CMD and exits with its status (or 0 without CMD). All targets are awaited in
parallel. Ports on this host are watched in the socket table, re-read every 2 ms,
instead of connecting, so single-client servers and debuggers see no connection;
--connect forces connects. Remote ports are connected to with retries backing off
from 5 ms to 250 ms. An http:// or https:// URL is awaited until a GET answers 2xx or
3xx (redirects not followed; each try bounded to 2 s), or with --close until it does
not. After --timeout (0: wait forever) it exits 124 and never runs CMD.`,
		Example: "  portolan wait localhost:5432 -- psql -h localhost\n  portolan wait db:5432 cache:6379 --timeout 60s\n  portolan wait http://localhost:8080/healthz -- ./e2e\n  portolan wait --close localhost:8080",
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
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

// Run waits, then runs the command.
func Run(ctx context.Context, o *Options) error {
	if o.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout %s is negative: want a duration like 30s, or 0 for no limit", o.Timeout)
	}
	var hps []probe.HostPort
	var urls []string
	for _, a := range o.Targets {
		if isURL(a) {
			if _, err := checkURL(a); err != nil {
				return err
			}
			urls = append(urls, a)
			continue
		}
		hp, err := probe.ParseHostPort(a, probeutil.Resolver(o.Registry))
		if err != nil {
			if strings.Contains(a, "://") {
				return cmdutil.FlagErrorf("%q: wait takes HOST:PORT or an http:// or https:// URL", a)
			}
			return err
		}
		hps = append(hps, hp)
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
	}
	state := "open"
	if o.Close {
		state = "closed"
	}
	var mu sync.Mutex
	done := map[string]TargetResult{}
	w.Ready = func(hp probe.HostPort, p portolan.Port, ap netip.AddrPort, after time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		r := TargetResult{Target: hp.Arg, Port: p, State: state, AfterMS: after.Milliseconds()}
		if ap.IsValid() {
			r.Address = ap.String()
		}
		done[hp.Arg+"#"+p.String()] = r
		if !tty {
			return
		}
		if o.Close {
			fmt.Fprintf(o.IO.ErrOut, "%s port %d closed after %s\n", hp.Host, p, after.Round(time.Millisecond))
		} else {
			fmt.Fprintf(o.IO.ErrOut, "%s port %d open on %s after %s\n", hp.Host, p, ap, after.Round(time.Millisecond))
		}
	}
	urlReady := func(u string, status int, after time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		done[u] = TargetResult{Target: u, Status: status, State: state, AfterMS: after.Milliseconds()}
		if tty {
			if o.Close {
				fmt.Fprintf(o.IO.ErrOut, "%s stopped answering after %s\n", u, after.Round(time.Millisecond))
			} else {
				fmt.Fprintf(o.IO.ErrOut, "%s answered %d after %s\n", u, status, after.Round(time.Millisecond))
			}
		}
	}
	wctx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	errs := make([]error, len(urls)+1)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { errs[i+1] = o.waitURL(wctx, u, urlReady) })
	}
	if len(hps) > 0 {
		errs[0] = w.Wait(wctx, hps)
	}
	wg.Wait()
	err := errors.Join(errs...)
	if o.JSON {
		if jerr := cmdutil.WriteJSON(o.IO, o.result(hps, urls, done, err == nil)); jerr != nil {
			return jerr
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return cmdutil.Exit(cmdutil.ExitSignal) // interrupted, not timed out
		}
		var msgs []string
		for _, e := range errs {
			if e != nil {
				msgs = append(msgs, portolan.ErrorMessage(e))
			}
		}
		return portolan.Errorf(portolan.ETIMEOUT, "%s", strings.Join(msgs, "; "))
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

// result lists every target in the order given, met or still awaited.
func (o *Options) result(hps []probe.HostPort, urls []string, done map[string]TargetResult, ready bool) Result {
	res := Result{Ready: ready, Targets: []TargetResult{}}
	for _, hp := range hps {
		for _, p := range hp.Ports {
			r, ok := done[hp.Arg+"#"+p.String()]
			if !ok {
				r = TargetResult{Target: hp.Arg, Port: p, State: "waiting"}
			}
			res.Targets = append(res.Targets, r)
		}
	}
	for _, u := range urls {
		r, ok := done[u]
		if !ok {
			r = TargetResult{Target: u, State: "waiting"}
		}
		res.Targets = append(res.Targets, r)
	}
	return res
}
