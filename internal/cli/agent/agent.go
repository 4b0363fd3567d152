// Package agent implements `portolan agent`: report this host's listening
// sockets to a portolan server, at start, on change and as a heartbeat, so
// the server holds every host's listeners beside the plan.
package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/reporter"
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

// setup resolves the server, token and identity.
func (o *Options) setup() (*porthttp.Client, portolan.FleetReport, error) {
	var rep portolan.FleetReport
	if o.Server == "" {
		o.Server = os.Getenv("PORTOLAN_ADDR")
	}
	if o.Server = cmdutil.ServerURL(o.Server); o.Server == "" {
		return nil, rep, cmdutil.FlagErrorf("agent needs --server URL (or $PORTOLAN_ADDR): want e.g. http://portolan.internal:7780")
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
	id, err := reporter.MachineID(o.MachineIDFile)
	if err != nil {
		return nil, rep, err
	}
	if o.Name == "" {
		o.Name, _ = os.Hostname()
	}
	if err := portolan.CheckText("--name", o.Name, 253); err != nil {
		return nil, rep, err
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
	r := &reporter.Reporter{Client: c, Base: base, Interval: o.Interval, Resync: o.Resync, MaxBackoff: o.MaxBackoff,
		Log: slog.New(slog.NewTextHandler(o.IO.ErrOut, nil))}
	if !o.Once {
		return r.Run(ctx)
	}
	n, err := r.Once(ctx)
	if err == nil {
		fmt.Fprintf(o.IO.Out, "reported %d listeners of %s (%s) to %s\n", n, base.HostName, base.HostID, o.Server)
	}
	return err
}
