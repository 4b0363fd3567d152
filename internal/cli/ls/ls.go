// Package ls implements `portolan ls`: the sockets on this host with the
// processes that hold them, the port's class and the service it is known
// for.
package ls

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/netfilter"
	"github.com/portolan-dev/portolan/netns"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/spf13/cobra"
)

// Watch intervals are bounded: faster would spin the CPU on the owner
// scan, slower is not watching.
const (
	minInterval     = 100 * time.Millisecond
	maxInterval     = time.Hour
	defaultInterval = 2 * time.Second
)

// Options are the inputs of one ls run.
type Options struct {
	IO       *iostreams.IOStreams
	List     func(context.Context, sockets.Filter) ([]portolan.Socket, error)
	Registry func() (*registry.Registry, error)

	All      bool
	TCP, UDP bool
	IPv4     bool
	IPv6     bool
	Port     string
	Args     []string // positional ports: 3000, :3000, 53/udp
	PID      int
	Proc     string
	// Container, Unit and Project keep the sockets whose holder runs in
	// that container (an id prefix), systemd unit, or checkout directory.
	Container, Unit, Project string
	States                   []string
	JSON                     bool
	Exposure                 bool                      // add each listener's reach and the firewall's verdict
	rules                    func() *netfilter.Ruleset // --exposure: read while the sockets are listed
	// NetNS reads other network namespaces: all, an ip netns name, a
	// pid or a namespace file.
	NetNS    string
	multiNS  bool // more than one namespace: the NETNS column
	Watch    bool
	Interval time.Duration
	Now      func() time.Time

	fresh   map[string]bool // --watch: sockets new since the last frame
	engines *docker.Engines // the container engines read for this snapshot
	noted   map[string]bool // engine problems already said on stderr
}

// NewCmdLs returns the ls command.
func NewCmdLs(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, List: sockets.List, Registry: f.Registry, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "ls [PORT|:PORT...] [-a] [--tcp|--udp] [-4|-6] [--pid N] [--proc NAME] [--state S]",
		Short: "List the sockets on this host and the processes that hold them",
		Long: `List listening TCP sockets and bound UDP sockets (all states with -a), with the
port's RFC 6335 class, the IANA service name (or a common use, marked *), and the
process that holds each socket: pid, name and user. A socket whose process /proc
hides from you (another user's, hidepid) shows the socket's user and "hidden".
PORT (or :PORT, as with lsof -i :PORT; PORT/tcp, PORT/udp) lists only those ports.
--proc matches the start of the process's name, of argv[0]'s or of its
executable's base name, in any case.`,
		Example: `  portolan ls                   what listens here
  portolan ls 8080              who holds port 8080 (also :8080, --port 8080)
  portolan ls -a --tcp -6       every IPv6 TCP socket, connections included
  portolan ls --proc node --json
  portolan ls --netns all       every network namespace's sockets: containers, ip netns`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			if _, set := os.LookupEnv("GOGC"); !set && !o.Watch {
				// One listing and exit: collecting garbage on the way
				// only costs time (ls -a peaks near 25 MB either way).
				debug.SetGCPercent(400)
			}
			if err := checkFlags(cmd, o); err != nil {
				return err
			}
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.All, "all", "a", false, "all states: connections, TIME_WAIT, ... (adds remote address and state)")
	fl.BoolVarP(&o.TCP, "tcp", "t", false, "TCP only")
	fl.BoolVarP(&o.UDP, "udp", "u", false, "UDP only")
	fl.BoolVarP(&o.IPv4, "ipv4", "4", false, "IPv4 only")
	fl.BoolVarP(&o.IPv6, "ipv6", "6", false, "IPv6 only")
	fl.StringVar(&o.Port, "port", "", "only local port `P`")
	fl.IntVar(&o.PID, "pid", 0, "only sockets held by process `N`")
	fl.StringVar(&o.Container, "container", "", "only sockets held in, or published by, the container `NAME` (or whose id starts so, as docker ps shows it)")
	fl.StringVar(&o.Unit, "unit", "", "only sockets held by the systemd `UNIT` (nginx.service, or nginx)")
	fl.StringVar(&o.Project, "project", "", "only sockets held by processes running in the checkout at `DIR`")
	fl.StringVar(&o.Proc, "proc", "", "only sockets held by processes whose name, argv[0] or executable starts with `NAME` (any case)")
	fl.StringSliceVar(&o.States, "state", nil, "only state `S` (listen, unconn, established, time-wait, ...; repeatable)")
	fl.BoolVarP(&o.Watch, "watch", "w", false, "refresh until interrupted (in place on a terminal)")
	fl.DurationVar(&o.Interval, "interval", defaultInterval, "refresh interval for --watch (100ms-1h)")
	fl.StringVar(&o.NetNS, "netns", "", "the sockets of network namespace `NS`: all (every namespace, this one included), an ip netns name, a pid, or a file such as /run/netns/NAME")
	fl.BoolVar(&o.Exposure, "exposure", false, "add the exposure column: loopback, lan or all, with the firewall's verdict (fw: allow|deny|docker-dnat|unknown)")
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

// checkFlags refuses flags that would be silently dropped: an empty
// --port, --proc or --state reads as "no filter" (every socket listed),
// and --interval means nothing without --watch.
func checkFlags(cmd *cobra.Command, o *Options) error {
	fl := cmd.Flags()
	switch {
	case fl.Changed("port") && o.Port == "":
		return cmdutil.FlagErrorf("--port is empty: want a port 1-65535")
	case fl.Changed("proc") && o.Proc == "":
		return cmdutil.FlagErrorf("--proc is empty: want a process name, e.g. nginx")
	case fl.Changed("container") && o.Container == "", fl.Changed("unit") && o.Unit == "", fl.Changed("project") && o.Project == "":
		return cmdutil.FlagErrorf("--container, --unit and --project take a value: an id prefix, a unit name, a directory")
	case fl.Changed("netns") && o.NetNS == "":
		return cmdutil.FlagErrorf("--netns is empty: want %s", netns.Forms)
	case o.NetNS != "" && o.Exposure:
		return cmdutil.FlagErrorf("--exposure judges this namespace's addresses and firewall: it cannot be combined with --netns %s", o.NetNS)
	case fl.Changed("state") && len(o.States) == 0:
		return cmdutil.FlagErrorf("--state is empty: want listen, unconn, established, time-wait, ...")
	case fl.Changed("port") && len(o.Args) > 0:
		return cmdutil.FlagErrorf("--port %s and the ports %s both choose ports: give one of them", o.Port, strings.Join(o.Args, " "))
	case fl.Changed("interval") && !o.Watch:
		return cmdutil.FlagErrorf("--interval %s needs --watch: it is the refresh interval", o.Interval)
	}
	return nil
}

// filter validates the flags and builds the inventory filter.
func (o *Options) filter() (sockets.Filter, error) {
	f := sockets.Filter{WithOwners: true, All: o.All, PID: o.PID}
	if o.TCP {
		f.Protos = append(f.Protos, portolan.TCP)
	}
	if o.UDP {
		f.Protos = append(f.Protos, portolan.UDP)
	}
	if o.IPv4 {
		f.Families = append(f.Families, 4)
	}
	if o.IPv6 {
		f.Families = append(f.Families, 6)
	}
	if o.Port != "" {
		p, err := portolan.ParsePort(o.Port)
		if err != nil {
			return f, err
		}
		if p == 0 {
			return f, cmdutil.FlagErrorf("--port 0 matches no socket: want a port 1-65535")
		}
		f.Port = p
	}
	if o.PID < 0 {
		return f, cmdutil.FlagErrorf("--pid %d is not a process id: want a positive number", o.PID)
	}
	for _, s := range o.States {
		st, err := sockets.ParseState(s)
		if err != nil {
			return f, err
		}
		f.States = append(f.States, st)
	}
	if o.Watch && (o.Interval < minInterval || o.Interval > maxInterval) {
		return f, cmdutil.FlagErrorf("--interval %s is out of range: want 100ms-1h", o.Interval)
	}
	return f, nil
}

// wide reports whether the remote address and state columns show.
func (o *Options) wide() bool { return o.All || len(o.States) > 0 }

// Run lists the sockets once, or until ctx ends with --watch.
func Run(ctx context.Context, o *Options) error {
	f, err := o.filter()
	if err != nil {
		return err
	}
	if o.NetNS != "" {
		if err := o.useNetNS(); err != nil {
			return err
		}
	}
	if o.Exposure {
		o.rules = cmdutil.StartFirewall(ctx)
	}
	if !o.Watch {
		socks, names, err := o.snapshot(ctx, f)
		if err != nil {
			return err
		}
		if err := o.render(socks, names); err != nil {
			return err
		}
		if len(socks) == 0 {
			if o.JSON {
				return cmdutil.Exit(cmdutil.ExitNotFound)
			}
			return portolan.Errorf(portolan.ENOTFOUND, "no sockets match")
		}
		return nil
	}
	return o.watch(ctx, f)
}

// watch redraws the list every interval until ctx ends (Ctrl-C), which is
// a normal end, not an error. On a terminal it draws on the alternate
// screen (the shell's screen comes back afterwards), each frame replacing
// the last with the header kept, and sockets new since the last frame
// highlighted; the status line counts what came and went.
func (o *Options) watch(ctx context.Context, f sockets.Filter) error {
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	screen := o.IO.IsStdoutTTY() && !o.JSON
	if screen {
		fmt.Fprint(o.IO.Out, "\x1b[?1049h")
		defer fmt.Fprint(o.IO.Out, "\x1b[?1049l")
	}
	var prev map[string]bool
	for {
		socks, names, err := o.snapshot(ctx, f)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if screen {
			now := make(map[string]bool, len(socks))
			for i := range socks {
				now[socketKey(&socks[i])] = true
			}
			o.fresh = nil
			added, gone := 0, 0
			if prev != nil {
				o.fresh = map[string]bool{}
				for k := range now {
					if !prev[k] {
						o.fresh[k] = true
						added++
					}
				}
				for k := range prev {
					if !now[k] {
						gone++
					}
				}
			}
			prev = now
			fmt.Fprint(o.IO.Out, "\x1b[H\x1b[2J")
			status := fmt.Sprintf("%s  every %s, Ctrl-C to stop", o.Now().Format("15:04:05"), o.Interval)
			if added+gone > 0 {
				status += fmt.Sprintf("  (+%d new, -%d gone)", added, gone)
			}
			fmt.Fprintf(o.IO.Out, "%s\n\n", o.IO.Dim(status))
		}
		if err := o.render(socks, names); err != nil {
			return err
		}
		if len(socks) == 0 && !o.JSON {
			fmt.Fprintln(o.IO.Out, "no sockets match")
		}
		if !o.IO.IsStdoutTTY() && !o.JSON {
			fmt.Fprintln(o.IO.Out) // frames on a pipe are separated by a blank line
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// socketKey identifies a socket across frames of --watch.
func socketKey(s *portolan.Socket) string {
	pid := 0
	if s.Owner != nil {
		pid = s.Owner.PID
	}
	return fmt.Sprintf("%s %s %s %s %d %d", s.Proto, s.Local, s.Remote, s.State, s.Inode, pid)
}

// Row is one socket as ls prints it in its table and rows.
type Row struct {
	Proto         portolan.Proto `json:"proto"`
	Family        int            `json:"family"` // 4 or 6
	LocalAddress  string         `json:"local_address"`
	Port          portolan.Port  `json:"port"`
	RemoteAddress string         `json:"remote_address,omitempty"`
	RemotePort    portolan.Port  `json:"remote_port,omitempty"`
	State         string         `json:"state"`
	Class         portolan.Class `json:"class"`
	Service       string         `json:"service,omitempty"`
	// ServiceSource says where Service comes from: "iana" for the
	// registry's primary name, "common" for a de-facto use IANA does not list.
	ServiceSource string     `json:"service_source,omitempty"`
	PID           int        `json:"pid,omitempty"`
	Process       string     `json:"process,omitempty"`
	User          string     `json:"user,omitempty"`
	UID           uint32     `json:"uid"`
	Cmdline       []string   `json:"cmdline,omitempty"`
	Start         *time.Time `json:"start,omitempty"`
	PIDHidden     bool       `json:"pid_hidden,omitempty"`
	Inode         uint64     `json:"inode,omitempty"`
}

// Entry is one socket of `ls --json`: the socket shape every document uses
// (portolan.Socket), with what people read it by added beside it.
type Entry struct {
	portolan.Socket
	Class   portolan.Class `json:"class"`
	Service string         `json:"service,omitempty"`
	// ServiceSource says where Service comes from: "iana" for the
	// registry's primary name, "common" for a de-facto use IANA does not list.
	ServiceSource string `json:"service_source,omitempty"`
}

// toEntry adds the class and service name to a socket.
func toEntry(s *portolan.Socket, names *serviceNames) Entry {
	p := portolan.Port(s.Local.Port())
	svc := names.lookup(p, s.Proto)
	return Entry{Socket: *s, Class: portolan.ClassOf(p), Service: svc.name, ServiceSource: svc.source}
}

// snapshot lists the sockets and prepares the service names.
func (o *Options) snapshot(ctx context.Context, f sockets.Filter) ([]portolan.Socket, *serviceNames, error) {
	socks, err := o.list(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	o.engines = nil // a --watch frame reads the engines afresh
	if socks, err = o.byHolder(socks); err != nil {
		return nil, nil, err
	}
	var reg *registry.Registry
	if len(socks) > 0 && o.Registry != nil {
		reg, _ = o.Registry() // without a registry the service column stays empty
	}
	return socks, &serviceNames{reg: reg}, nil
}

// list runs the inventory once per positional port (or once), and keeps
// the sockets whose holder --proc names.
func (o *Options) list(ctx context.Context, f sockets.Filter) ([]portolan.Socket, error) {
	var socks []portolan.Socket
	if len(o.Args) == 0 {
		var err error
		if socks, err = o.List(ctx, f); err != nil {
			return nil, err
		}
	}
	for _, a := range o.Args {
		p, proto, err := parsePortArg(a)
		if err != nil {
			return nil, err
		}
		g := f
		g.Port = p
		if proto != portolan.ProtoAny {
			if len(f.Protos) > 0 && !slices.Contains(f.Protos, proto) {
				continue // --udp 3000/tcp: nothing
			}
			g.Protos = []portolan.Proto{proto}
		}
		got, err := o.List(ctx, g)
		if err != nil {
			return nil, err
		}
		for _, s := range got {
			if !slices.ContainsFunc(socks, func(t portolan.Socket) bool { return sameSocket(&s, &t) }) {
				socks = append(socks, s)
			}
		}
	}
	if o.Proc != "" {
		m := newProcMatcher(o.Proc)
		socks = slices.DeleteFunc(socks, func(s portolan.Socket) bool { return !m.matches(s.Owner) })
	}
	return socks, nil
}

func sameSocket(a, b *portolan.Socket) bool {
	return a.Proto == b.Proto && a.Local == b.Local && a.Remote == b.Remote && a.Inode == b.Inode
}

// toRow adds to a socket what people read it by.
func toRow(s *portolan.Socket, names *serviceNames) Row {
	p := portolan.Port(s.Local.Port())
	r := Row{
		Proto: s.Proto, Family: 6, LocalAddress: s.Local.Addr().String(), Port: p,
		State: string(s.State), Class: portolan.ClassOf(p), UID: s.UID, PIDHidden: s.Hidden, Inode: s.Inode,
	}
	if s.Local.Addr().Is4() {
		r.Family = 4
	}
	if s.Remote.IsValid() {
		r.RemoteAddress, r.RemotePort = s.Remote.Addr().String(), portolan.Port(s.Remote.Port())
	}
	svc := names.lookup(p, s.Proto)
	r.Service, r.ServiceSource = svc.name, svc.source
	switch {
	case s.Owner != nil:
		o := s.Owner
		r.PID, r.Process, r.User, r.UID, r.Cmdline = o.PID, o.Name, o.User, o.UID, o.Cmdline
		if !o.Start.IsZero() {
			start := o.Start
			r.Start = &start
		}
	case s.Hidden || s.Inode != 0:
		r.User = sockets.UserName(s.UID)
	}
	return r
}

type service struct{ name, source string }

// serviceNames looks up the service column: the registry's primary name,
// else the first common use for the protocol. Registry lookups take
// nanoseconds and do not allocate, so there is nothing to cache.
type serviceNames struct {
	reg *registry.Registry
}

func (n *serviceNames) lookup(p portolan.Port, proto portolan.Proto) service {
	if n.reg == nil {
		return service{}
	}
	if rec, ok := n.reg.Primary(p, proto); ok {
		return service{rec.Name, "iana"}
	}
	for _, c := range n.reg.CommonUses(p) {
		if c.Proto.Matches(proto) {
			return service{c.Name, "common"}
		}
	}
	return service{}
}

func remote(r Row) string {
	if r.RemoteAddress == "" {
		return "-"
	}
	if r.Family == 6 {
		return "[" + r.RemoteAddress + "]:" + r.RemotePort.String()
	}
	return r.RemoteAddress + ":" + r.RemotePort.String()
}

// cells returns a row's table cells: pid and process say "hidden" when
// /proc hides the owner, and a common use is marked with a star.
func cells(r Row, wide bool) []string {
	pid, proc := "-", "-"
	switch {
	case r.PID != 0:
		pid, proc = strconv.Itoa(r.PID), r.Process
	case r.PIDHidden:
		pid, proc = "hidden", "hidden"
	}
	svc := r.Service
	if r.ServiceSource == "common" {
		svc += "*"
	}
	c := []string{r.Proto.String(), r.LocalAddress, r.Port.String()}
	if wide {
		c = append(c, remote(r), r.State)
	}
	return append(c, r.Class.String(), tableprinter.Dash(svc), pid, tableprinter.Dash(proc), tableprinter.Dash(r.User))
}

// header names the columns of cells.
func header(wide bool) []string {
	h := []string{"proto", "local address", "port"}
	if wide {
		h = append(h, "remote address", "state")
	}
	return append(h, "class", "service", "pid", "process", "user")
}
