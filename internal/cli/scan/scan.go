// Package scan is `portolan scan TARGET... [-p SPEC | --top N]`: a TCP
// connect scan with open, closed and filtered states, as a table, JSON
// lines, nmap's grepable format or nmap's XML.
package scan

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
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

// Options configure a scan.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Lookup   probe.Lookup // nil: the system resolver
	Version  string
	Args     string // the command line, for the XML and grepable headers

	Targets     []string
	Ports       string
	Top         int
	TopSource   string
	AllowLarge  bool
	Timeout     time.Duration
	Rate        float64
	Concurrency int
	Retries     int
	Banner      bool
	JSON        bool
	Grepable    bool
	XML         string
	All         bool
	OpenOnly    bool
}

// NewCmdScan returns the scan command.
func NewCmdScan(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Registry: f.Registry, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "scan TARGET... [-p SPEC | --top N]",
		Short: "TCP connect scan: open, closed and filtered ports on hosts you name",
		Long: `Scan connects to every port of every target and reports it open (the handshake
completed), closed (refused) or filtered (no answer in time, or an ICMP unreachable).
It sends no raw packets, so it needs no privilege and works on loopback and IPv6.

TARGET is a host name (every address it resolves to, v4 and v6), an IPv4 or IPv6
address, or a CIDR block (more than 256 hosts needs --allow-large). SPEC is a
comma-separated list of ports (22), ranges (8000-8100, 1024-, -1023), service names
(ssh,https) and - for 1-65535. Without -p, the top 1000 ports are scanned: portolan's
own ordering of commonly open ports, or nmap's with --top-source nmap.

Concurrency is sized from the descriptor limit (raised to the hard limit) and grows
with the answers while the round-trip time stays low; the timeout follows the
measured round-trip time unless --timeout fixes it; ports without an answer are tried
again --retries times. Open ports show their IANA service name, common uses and, on
this host's own addresses, the owning process. Closed and filtered ports are listed
when an address has at most 25 of them (--all lists every port, --open only open).
Exit 0 when an open port was found, 1 when none, 2 on bad input.`,
		Example: `  portolan scan localhost
  portolan scan 127.0.0.1 -p -
  portolan scan example.com -p ssh,https --banner
  portolan scan 10.0.0.0/24 -p 22,80,443 --rate 2000 --xml scan.xml`,
		Args: cmdutil.MinimumArgs(1, "a TARGET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets = args
			o.Args = "portolan " + strings.Join(os.Args[1:], " ")
			if cmd.Flags().Changed("port") && cmd.Flags().Changed("top") {
				return cmdutil.FlagErrorf("-p and --top both choose ports: give one of them")
			}
			if cmd.Flags().Changed("port") && cmd.Flags().Changed("top-source") {
				return cmdutil.FlagErrorf("--top-source orders --top's ports and -p lists its own: give --top N --top-source %s, or -p alone", o.TopSource)
			}
			// An empty -p or --xml would otherwise read as "not given":
			// a top-1000 scan, or no XML written.
			if cmd.Flags().Changed("port") && o.Ports == "" {
				return cmdutil.FlagErrorf("-p is empty: want e.g. 22,80,443 or 8000-8100 or ssh,https or - for all")
			}
			if cmd.Flags().Changed("xml") && o.XML == "" {
				return cmdutil.FlagErrorf("--xml is empty: want a FILE, or - for stdout")
			}
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Ports, "port", "p", "", "ports: 22,80,443 | 8000-8100 | ssh,https | - for all")
	fl.IntVar(&o.Top, "top", 1000, "scan the N most commonly open ports (without -p)")
	fl.StringVar(&o.TopSource, "top-source", "portolan", "ordering for --top: portolan (curated) or nmap (/usr/share/nmap/nmap-services)")
	fl.BoolVar(&o.AllowLarge, "allow-large", false, "allow CIDR blocks of more than 256 hosts (up to 65536)")
	fl.DurationVar(&o.Timeout, "timeout", 0, "fixed wait for an answer per attempt (default: adapt to the round-trip time)")
	fl.Float64Var(&o.Rate, "rate", 0, "at most R connection attempts per second (default: unlimited)")
	fl.IntVar(&o.Concurrency, "concurrency", 0, "at most N connects in flight (default: from the descriptor limit)")
	fl.IntVar(&o.Retries, "retries", 1, "try ports that gave no answer N more times (0-10)")
	fl.BoolVar(&o.Banner, "banner", false, "read what each open port's server says first (256 bytes, 1 s)")
	fl.BoolVar(&o.Grepable, "grepable", false, "print nmap's grepable format (-oG)")
	fl.StringVar(&o.XML, "xml", "", "also write nmap's XML format (-oX) to FILE (- for stdout)")
	fl.BoolVarP(&o.All, "all", "a", false, "list every port, closed and filtered too")
	fl.BoolVar(&o.OpenOnly, "open", false, "list open ports only")
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

// Run scans and prints.
func Run(ctx context.Context, o *Options) error {
	if err := o.checkLimits(); err != nil {
		return err
	}
	if o.All && o.OpenOnly {
		return cmdutil.FlagErrorf("--all and --open contradict each other: give one")
	}
	if n := btoi(o.JSON) + btoi(o.Grepable) + btoi(o.XML == "-"); n > 1 {
		return cmdutil.FlagErrorf("--json, --grepable and --xml - each take stdout: give one")
	}
	var ports []portolan.Port
	var note string
	var err error
	if o.Ports != "" {
		ports, err = probe.ParsePorts(o.Ports, probeutil.Resolver(o.Registry))
	} else {
		ports, note, err = probe.Top(o.Top, o.TopSource)
	}
	if err != nil {
		return err
	}
	targets, err := probe.ParseTargets(ctx, o.Targets, probe.TargetOptions{AllowLarge: o.AllowLarge, Lookup: o.Lookup})
	if err != nil {
		return err
	}
	probes := Probes(targets, ports)
	opts := probe.Options{Concurrency: o.Concurrency, Rate: o.Rate, Timeout: o.Timeout, Retries: o.Retries, Banner: o.Banner}
	if o.IO.IsStderrTTY() {
		opts.Progress = progressBar(o.IO)
	}
	start := time.Now()
	res, st, err := probe.Scan(ctx, probes, opts)
	interrupted := false
	if err != nil {
		if ctx.Err() == nil {
			return err
		}
		// Ctrl-C: report what was found so far, then exit 130.
		interrupted = true
		res = slices.DeleteFunc(res, func(r probe.Result) bool { return r.State == probe.Pending })
		fmt.Fprintf(o.IO.ErrOut, "portolan: interrupted: %d of %d probes answered; what was found:\n", len(res), len(probes))
		ctx = context.WithoutCancel(ctx)
	}
	end := time.Now()
	reg, _ := o.Registry()
	probeutil.Annotate(ctx, res, reg, true)
	show := probe.ShowDefault
	if o.All {
		show = probe.ShowAll
	} else if o.OpenOnly {
		show = probe.ShowOpen
	}
	hosts := probe.Group(res, show)
	meta := probe.Meta{Args: o.Args, Version: o.Version, Start: start, End: end, Ports: probe.FormatPorts(ports), NPorts: len(ports), Note: note, Stats: st}
	if o.XML != "" {
		if err := writeXML(o, hosts, meta); err != nil {
			return err
		}
	}
	switch {
	case o.XML == "-":
	case o.JSON:
		var shown []probe.Result
		for _, h := range hosts {
			shown = append(shown, h.Shown...)
		}
		err = probe.WriteJSONLines(o.IO.Out, shown)
	case o.Grepable:
		err = probe.WriteGrepable(o.IO.Out, hosts, meta)
	default:
		err = printTable(o, hosts)
	}
	if err != nil {
		return err
	}
	if o.IO.IsStderrTTY() {
		printSummary(o.IO, hosts, meta)
	}
	if interrupted {
		return cmdutil.Exit(cmdutil.ExitSignal)
	}
	if probe.Count(res, probe.Open) == 0 {
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}

// maxRetries bounds --retries: nmap's --max-retries defaults to 10, and a
// port silent after eleven attempts is filtered.
const maxRetries = 10

// checkLimits names the one limit out of range and what it accepts.
func (o *Options) checkLimits() error {
	switch {
	case o.Rate < 0:
		return cmdutil.FlagErrorf("--rate %g is negative: want attempts per second, or 0 for no limit", o.Rate)
	case o.Concurrency < 0:
		return cmdutil.FlagErrorf("--concurrency %d is negative: want connects in flight, or 0 to size it from the descriptor limit", o.Concurrency)
	case o.Retries < 0 || o.Retries > maxRetries:
		return cmdutil.FlagErrorf("--retries %d is out of range: want 0-%d (tries after the first for ports that gave no answer)", o.Retries, maxRetries)
	case o.Timeout < 0:
		return cmdutil.FlagErrorf("--timeout %s is negative: want a duration such as 500ms, or 0 to follow the round-trip time", o.Timeout)
	}
	return nil
}

// Probes lists every (address, port) pair port by port, so consecutive
// connects spread over the hosts instead of hammering one.
func Probes(targets []probe.Target, ports []portolan.Port) []probe.Probe {
	n := 0
	for _, t := range targets {
		n += len(t.Addrs)
	}
	out := make([]probe.Probe, 0, n*len(ports))
	for _, p := range ports {
		for _, t := range targets {
			for _, a := range t.Addrs {
				out = append(out, probe.Probe{Target: t.Name, Addr: netip.AddrPortFrom(a, uint16(p))})
			}
		}
	}
	return out
}

func writeXML(o *Options, hosts []probe.Host, m probe.Meta) error {
	if o.XML == "-" {
		return probe.WriteXML(o.IO.Out, hosts, m)
	}
	f, err := os.Create(o.XML)
	if err != nil {
		return portolan.Errorf(portolan.EINVALID, "--xml %s: %v", o.XML, err)
	}
	if err := probe.WriteXML(f, hosts, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printTable(o *Options, hosts []probe.Host) error {
	header := probe.RowHeader
	if !o.Banner {
		header = header[:len(header)-1]
	}
	n := 0
	for _, h := range hosts {
		n += len(h.Shown)
	}
	if n == 0 {
		return nil // no empty table: the summary (on a terminal) and the exit code say it
	}
	tp := tableprinter.New(o.IO, header...)
	tp.Flexible(0, 5, 6, 7) // target, common uses, process and banner give way
	for _, h := range hosts {
		for _, r := range h.Shown {
			row := probe.Row(r)
			for i := range row {
				row[i] = cmdutil.Sanitize(row[i]) // the process name is another user's text
			}
			if r.State == probe.Open {
				row[3] = o.IO.Green(row[3])
			}
			tp.AddRow(row[:len(header)]...)
		}
	}
	return tp.Render()
}

func printSummary(io *iostreams.IOStreams, hosts []probe.Host, m probe.Meta) {
	for _, h := range hosts {
		line := fmt.Sprintf("%s (%s): %d open", h.Target, h.Addr, probe.Count(h.Results, probe.Open))
		for _, st := range []probe.State{probe.Closed, probe.Filtered} {
			if n := h.Hidden[st]; n > 0 {
				line += fmt.Sprintf(", %d %s not shown", n, st)
			}
		}
		fmt.Fprintln(io.ErrOut, line)
	}
	fmt.Fprintf(io.ErrOut, "%d ports on %d addresses in %.2f s (srtt %s, timeout %s, %d attempts)", m.NPorts, len(hosts),
		m.End.Sub(m.Start).Seconds(), m.Stats.SRTT.Round(time.Microsecond), m.Stats.Timeout.Round(time.Millisecond), m.Stats.Attempts)
	if m.Note != "" {
		fmt.Fprintf(io.ErrOut, "; %s", m.Note)
	}
	fmt.Fprintln(io.ErrOut)
}

// progressBar draws a one-line bar on stderr (a terminal) and clears it
// when the scan ends.
func progressBar(io *iostreams.IOStreams) func(done, total int) {
	drawn := false
	return func(done, total int) {
		if total == 0 || (done >= total && !drawn) {
			return
		}
		if done >= total {
			fmt.Fprint(io.ErrOut, "\r\033[K")
			return
		}
		drawn = true
		const width = 30
		fill := done * width / total
		fmt.Fprintf(io.ErrOut, "\r[%s%s] %3d%% %d/%d", strings.Repeat("#", fill), strings.Repeat(" ", width-fill), done*100/total, done, total)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
