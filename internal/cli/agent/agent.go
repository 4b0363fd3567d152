// Package agent implements `portolan agent`: report this host's listening
// sockets to a portolan server, at start, on change and as a heartbeat, so
// the server holds every host's listeners beside the plan.
package agent

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/secretfile"
	"github.com/spf13/cobra"
)

// Options are the inputs of one agent run.
type Options struct {
	IO            *iostreams.IOStreams
	Server        string
	TokenFile     string
	Interval      time.Duration
	Resync        time.Duration
	MachineIDFile string
	Name          string
	Once          bool
	// MaxBackoff caps the wait between attempts while the server is away.
	MaxBackoff time.Duration

	snap *snapshotter
}

// NewCmdAgent returns the agent command.
func NewCmdAgent(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "agent --server URL [--token-file F] [--interval 10s]",
		Short: "Report this host's listening sockets to a portolan server",
		Long: `Report this host's listeners to a portolan server (serve): a full report at
start and every --resync, only the changes at each --interval, and an empty report
as a heartbeat. Each listener is named by protocol, address and port, with the
program behind it (container, systemd service or executable), never its pid, so a
restart is no change. While the server is away the agent keeps only the latest
state and retries with a capped, jittered backoff; it never blocks or grows.

The token comes from --token-file (a line "SECRET") or $PORTOLAN_TOKEN, never
from the command line; give each host its own agent token (a server token file
line "agent SECRET NAME"): it reports that host only and reads nothing. No root
needed: owners /proc hides are "hidden", as in ls.`,
		Example: `  portolan agent --server http://portolan.internal:7780 --token-file /etc/portolan/agent.token
  portolan agent --server http://127.0.0.1:7780 --once     one full report, then exit`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Server, "server", "", "portolan server URL (default $PORTOLAN_ADDR)")
	fl.StringVar(&o.TokenFile, "token-file", "", "file holding the agent token (default $PORTOLAN_TOKEN)")
	fl.DurationVar(&o.Interval, "interval", 10*time.Second, "how often to read the socket table and report")
	fl.DurationVar(&o.Resync, "resync", 10*time.Minute, "how often to send a full report")
	fl.StringVar(&o.MachineIDFile, "machine-id-file", "/etc/machine-id", "file whose first line identifies this host")
	fl.StringVar(&o.Name, "name", "", "this host's name in the fleet (default the hostname)")
	fl.BoolVar(&o.Once, "once", false, "send one full report and exit")
	return cmd
}

var machineIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// setup resolves the server, token and identity.
func (o *Options) setup() (*porthttp.Client, portolan.FleetReport, error) {
	var rep portolan.FleetReport
	if o.Server == "" {
		o.Server = os.Getenv("PORTOLAN_ADDR")
	}
	if o.Server == "" {
		return nil, rep, cmdutil.FlagErrorf("agent needs --server URL (or $PORTOLAN_ADDR): want e.g. http://portolan.internal:7780")
	}
	if !strings.Contains(o.Server, "://") {
		o.Server = "http://" + o.Server
	}
	if !strings.HasPrefix(o.Server, "http://") && !strings.HasPrefix(o.Server, "https://") {
		return nil, rep, cmdutil.FlagErrorf("--server %q is not an HTTP URL: want http://HOST:PORT", o.Server)
	}
	if o.Interval < 100*time.Millisecond || o.Interval > time.Hour {
		return nil, rep, cmdutil.FlagErrorf("--interval %s is out of range: want 100ms to 1h", o.Interval)
	}
	if o.Resync < o.Interval {
		return nil, rep, cmdutil.FlagErrorf("--resync %s is shorter than --interval %s: want at least the interval", o.Resync, o.Interval)
	}
	token := os.Getenv("PORTOLAN_TOKEN")
	if o.TokenFile != "" {
		b, err := secretfile.Read(o.TokenFile, "token file")
		if err != nil {
			return nil, rep, err
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return nil, rep, cmdutil.FlagErrorf("agent needs a token: --token-file F or $PORTOLAN_TOKEN (an agent or admin token of the server)")
	}
	b, err := os.ReadFile(o.MachineIDFile)
	if err != nil {
		return nil, rep, portolan.Errorf(portolan.EINVALID, "cannot read the machine id %s: %s; want a file such as /etc/machine-id (--machine-id-file)", o.MachineIDFile, err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if !machineIDPattern.MatchString(id) {
		return nil, rep, portolan.Errorf(portolan.EINVALID, "machine id in %s is not valid: want 1-128 letters, digits, '.', '_', ':' or '-'", o.MachineIDFile)
	}
	if o.Name == "" {
		o.Name, _ = os.Hostname()
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = max(5*time.Minute, o.Interval)
	}
	if o.snap == nil {
		o.snap = newSnapshotter()
	}
	c := porthttp.NewClient(o.Server, token)
	c.HTTP.Timeout = min(max(o.Interval, 2*time.Second), 30*time.Second)
	return c, portolan.FleetReport{HostID: id, HostName: o.Name, Interval: o.Interval}, nil
}

// Run reports until ctx ends.
func Run(ctx context.Context, o *Options) error {
	c, base, err := o.setup()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(o.IO.ErrOut, nil))
	a := &run{c: c, base: base, needFull: true}
	failures := 0
	for {
		err := a.step(ctx, o)
		switch {
		case o.Once:
			if err == nil {
				fmt.Fprintf(o.IO.Out, "reported %d listeners of %s (%s) to %s\n", len(a.acked), base.HostName, base.HostID, o.Server)
			}
			return err
		case err != nil && ctx.Err() == nil:
			failures++
			if failures == 1 || failures%10 == 0 {
				log.Warn("report failed; keeping the latest state and retrying", "server", o.Server, "failures", failures, "err", cmdutil.Message(err))
			}
		case err == nil && failures > 0:
			log.Info("reporting again", "server", o.Server, "after_failures", failures)
			failures = 0
		}
		wait := o.Interval
		if failures > 0 {
			wait = backoff(o.Interval, o.MaxBackoff, failures)
		} else if a.needFull {
			wait = 0 // the server asked for a full report: send it now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// run is the agent's state: what the server holds (acked, as of base.Base)
// and the next sequence number. Only the latest state is kept, however long
// the server is away.
type run struct {
	c        *porthttp.Client
	base     portolan.FleetReport
	acked    map[portolan.ListenerKey]portolan.FleetListener
	seq      uint64
	server   uint64 // the server's seq for this host
	needFull bool
	lastFull time.Time
}

// step reads the listeners and sends one report: full when due, else the
// changes against what the server acknowledged last.
func (a *run) step(ctx context.Context, o *Options) error {
	cur, err := o.snap.take(ctx)
	if err != nil {
		return err
	}
	rep := a.base
	a.seq++
	rep.Seq, rep.Base = a.seq, a.server
	full := a.needFull || time.Since(a.lastFull) >= o.Resync
	if full {
		rep.Full = true
		rep.Listeners = make([]portolan.FleetListener, 0, len(cur))
		for _, l := range cur {
			rep.Listeners = append(rep.Listeners, l)
		}
	} else {
		for k, l := range cur {
			if old, ok := a.acked[k]; !ok || old.Program != l.Program || old.Reach != l.Reach || old.Process != l.Process || old.User != l.User {
				rep.Added = append(rep.Added, l)
			}
		}
		for k := range a.acked {
			if _, ok := cur[k]; !ok {
				rep.Removed = append(rep.Removed, k)
			}
		}
	}
	ack, err := a.c.Report(ctx, rep)
	if err != nil {
		return err
	}
	if ack.Resync {
		a.needFull, a.server = true, ack.Seq
		return nil
	}
	a.acked, a.server, a.needFull = cur, ack.Seq, false
	if full {
		a.lastFull = time.Now()
	}
	return nil
}

// backoff is the wait after n failures in a row: doubling from the
// interval up to max, with up to a quarter of jitter so a fleet that lost
// its server does not come back in step.
func backoff(interval, maxWait time.Duration, n int) time.Duration {
	d := interval
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}
