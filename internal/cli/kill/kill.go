// Package kill implements `portolan kill PORT...`: stop the processes that
// listen on exact ports, carefully. Only listening owners are signalled,
// never clients; the port must really be free before it reports success;
// SIGKILL comes only with --force; init, portolan itself and its parent are
// never signalled.
package kill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/docker"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/spf13/cobra"
)

// Options are the inputs of one kill run.
type Options struct {
	IO *iostreams.IOStreams
	// Holders returns every process holding the listening sockets on a port.
	Holders func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error)
	// Listening returns the listening sockets on a port, without owners,
	// for the wait until the port is free.
	Listening func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error)
	// Signal delivers sig to p unless p's pid now names another process.
	Signal func(p *portolan.Process, sig Signal) error
	// Remaining returns every socket using a port (any state, with
	// owners), to say what is left once the listeners are gone; nil: not
	// checked.
	Remaining func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error)

	Args       []string
	SignalName string
	Timeout    time.Duration
	Force      bool
	DryRun     bool
	JSON       bool
	Self       int // never signalled: portolan itself
	// Supervisor returns the supervisor that would restart pid (pm2,
	// nodemon, supervisord, a systemd unit with Restart=), or nil: such a
	// holder is signalled only with --force. Nil: holder.Of.
	Supervisor func(pid int) *portolan.Supervisor
	Parent     int // never signalled: the shell or program that ran portolan
	// Container: a port that is a container's (published by docker-proxy
	// or a DNAT rule, or held by a process in a container) is freed by
	// stopping the container through its engine; without it such a port
	// is refused.
	Container bool
	// Engines reads the container engines (one list per engine per run).
	Engines *docker.Engines

	res     Result
	holders map[int]*portolan.Holder
	stops   []*stop
}

// NewCmdKill returns the kill command.
func NewCmdKill(f *cmdutil.Factory) *cobra.Command {
	o := &Options{IO: f.IOStreams, Holders: sockets.Holders, Listening: listening, Signal: signalProcess,
		Remaining: remaining, Self: os.Getpid(), Parent: os.Getppid()}
	cmd := &cobra.Command{
		Use:   "kill PORT[/PROTO]... [--signal S] [--timeout D] [--force] [--dry-run]",
		Short: "Stop the processes listening on ports, and wait until the ports are free",
		Long: `Send SIGTERM to every process that listens on exactly PORT (TCP and UDP unless
/tcp or /udp is given) and wait until its sockets are really gone, up to --timeout.
Clients connected to the port are never signalled. SIGKILL follows only with --force.
pid 1, portolan itself and its parent are refused, and so is a holder that a
supervisor (pm2, supervisord, systemd Restart=, a container's restart policy) would
start again, unless --force. A port a container publishes (held by docker-proxy, or
forwarded by a DNAT rule) is never signalled: kill names the container, and with
--container stops it through its engine (docker stop, with --timeout as its grace).
Exit 1 when nothing listens on a port or a process could not be stopped, 124 when a
port is still held after --timeout.`,
		Example: `  portolan kill 3000                  stop the dev server on 3000
  portolan kill 8080 8443 --dry-run   show who would be signalled, and their command lines
  portolan kill 5353/udp --force      SIGKILL if SIGTERM has not freed the port in 5s
  portolan kill 8080 --container      stop the container that publishes 8080`,
		Args: cmdutil.MinimumArgs(1, "PORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return Run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.SignalName, "signal", "s", "TERM", "signal to send: a name (TERM, INT, HUP, KILL, ...) or number")
	fl.DurationVar(&o.Timeout, "timeout", 5*time.Second, "how long to wait for the ports to be free (0: do not wait)")
	fl.BoolVar(&o.Force, "force", false, "send SIGKILL to processes still holding a port after --timeout")
	fl.BoolVar(&o.DryRun, "dry-run", false, "print who would be signalled, with their command lines, and do nothing")
	fl.BoolVar(&o.Container, "container", false, "stop the container that publishes or holds the port, through its engine (docker stop), instead of refusing")
	cmdutil.AddJSONFlag(cmd, &o.JSON)
	return cmd
}

// listening is the cheap inventory query behind the wait: one port, the
// kernel filters, no owners.
func listening(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	f := sockets.Filter{Port: p}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	return sockets.List(ctx, f)
}

// target is one PORT[/PROTO] argument.
type target struct {
	port  portolan.Port
	proto portolan.Proto
}

func (t target) String() string {
	if t.proto == portolan.ProtoAny {
		return t.port.String()
	}
	return t.port.String() + "/" + t.proto.String()
}

func parseTarget(s string) (target, error) {
	body, proto, hasProto := strings.Cut(s, "/")
	var t target
	if hasProto {
		p, err := portolan.ParseProto(proto)
		if err != nil || (p != portolan.TCP && p != portolan.UDP) {
			return t, cmdutil.FlagErrorf("%q: protocol %q is not tcp or udp; want PORT, PORT/tcp or PORT/udp", s, proto)
		}
		t.proto = p
	}
	p, err := portolan.ParsePort(body)
	if err != nil {
		return t, err
	}
	if p == 0 {
		return t, cmdutil.FlagErrorf("port 0 cannot be listened on: want a port 1-65535")
	}
	t.port = p
	return t, nil
}

// victim is one process to signal and the sockets it holds.
type victim struct {
	proc  *portolan.Process
	socks []portolan.Socket
}

func (v *victim) describe() string {
	where := v.where()
	user := ""
	if v.proc.User != "" {
		user = ", user " + v.proc.User
	}
	return fmt.Sprintf("pid %d (%s%s) holding %s", v.proc.PID, cmdutil.Sanitize(v.proc.Name), cmdutil.Sanitize(user), strings.Join(where, ", "))
}

// report collects the problems of a run; the exit code is 124 when a port
// outlived the timeout, else 1 when anything went wrong.
type report struct {
	io       *iostreams.IOStreams
	problems int
	timedOut bool
}

func (r *report) fail(err error) {
	r.problems++
	if portolan.ErrorCode(err) == portolan.ETIMEOUT {
		r.timedOut = true
	}
	fmt.Fprintf(r.io.ErrOut, "portolan: %s\n", cmdutil.Message(err))
}

func (r *report) err() error {
	switch {
	case r.timedOut:
		return cmdutil.Exit(cmdutil.ExitTimeout)
	case r.problems > 0:
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}

// Run finds the listening owners of every target, signals them, and waits
// until each target's sockets are gone.
func Run(ctx context.Context, o *Options) error {
	var targets []target
	for _, a := range o.Args {
		t, err := parseTarget(a)
		if err != nil {
			return err
		}
		if !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
	}
	sig, err := ParseSignal(o.SignalName)
	if err != nil {
		return err
	}
	if o.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout %s is negative: want a duration such as 5s, or 0 not to wait", o.Timeout)
	}
	if o.Force && o.Timeout == 0 {
		return cmdutil.FlagErrorf("--force needs a --timeout above 0: SIGKILL follows only when the port outlives it")
	}
	o.res = Result{DryRun: o.DryRun, Signalled: []Signalled{}, Ports: []PortResult{}}
	if o.Engines == nil {
		o.Engines = &docker.Engines{}
	}
	rep := &report{io: o.IO}
	victims, held, err := o.find(ctx, targets, rep)
	if err != nil {
		return err
	}
	if err := o.act(ctx, targets, sig, victims, held, rep); err != nil {
		return err
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, o.res); err != nil {
			return err
		}
	}
	return rep.err()
}

// act signals the victims (or, with --dry-run, says it would) and waits
// until the held ports are free.
func (o *Options) act(ctx context.Context, targets []target, sig Signal, victims []*victim, held map[target][]portolan.Socket, rep *report) error {
	o.stopContainers(ctx, held, rep)
	if o.DryRun {
		for _, v := range victims {
			o.signalled(v, sig)
			o.say("would send %s to %s\n", sig, v.describe())
			if len(v.proc.Cmdline) > 0 {
				o.say("    %s\n", commandLine(v.proc.Cmdline))
			}
		}
		for t := range held {
			o.res.port(t).State = "planned"
		}
		return nil
	}
	start := time.Now()
	for _, v := range victims {
		if err := o.Signal(v.proc, sig); err != nil && !errors.Is(err, errGone) {
			o.fail(rep, o.targetOf(targets, v), "refused", signalError(v, sig, err))
			dropHeldBy(held, v.proc.PID) // its ports will not come free: do not wait for them
			continue
		}
		o.signalled(v, sig)
		o.say("sent %s to %s\n", sig, v.describe())
	}
	if len(held) == 0 {
		return nil
	}
	if o.Timeout == 0 {
		for t := range held {
			o.res.port(t).State = "signalled"
		}
		return nil
	}
	left, err := o.waitFree(ctx, held, o.Timeout)
	if err != nil {
		return err
	}
	if len(left) > 0 && o.Force {
		for _, v := range victims {
			if holdsAny(v, left) {
				if err := o.Signal(v.proc, sigKill); err != nil && !errors.Is(err, errGone) {
					o.fail(rep, o.targetOf(targets, v), "refused", signalError(v, sigKill, err))
					dropHeldBy(left, v.proc.PID)
					dropHeldBy(held, v.proc.PID)
					continue
				}
				o.signalled(v, sigKill)
				o.say("sent KILL to pid %d (%s): %s did not free the port within %s\n", v.proc.PID, cmdutil.Sanitize(v.proc.Name), sig, o.Timeout)
			}
		}
		if left, err = o.waitFree(ctx, left, o.Timeout); err != nil {
			return err
		}
	}
	for _, t := range targets {
		if socks, ok := left[t]; ok {
			o.fail(rep, &t, "held", portolan.Errorf(portolan.ETIMEOUT, "port %s is still held after %s by %s%s", t, time.Since(start).Round(time.Millisecond),
				holderNames(victims, socks), forceHint(o.Force)))
		} else if _, ok := held[t]; ok {
			o.freed(ctx, t, time.Since(start))
		}
	}
	return nil
}

// targetOf returns the first target a victim holds a socket of.
func (o *Options) targetOf(targets []target, v *victim) *target {
	for i, t := range targets {
		for _, s := range v.socks {
			if portolan.Port(s.Local.Port()) == t.port && (t.proto == portolan.ProtoAny || t.proto == s.Proto) {
				return &targets[i]
			}
		}
	}
	return nil
}

// find looks up the holders of every target and refuses the processes that
// must never be signalled.
func (o *Options) find(ctx context.Context, targets []target, rep *report) ([]*victim, map[target][]portolan.Socket, error) {
	var victims []*victim
	byPID := map[int]*victim{}
	held := map[target][]portolan.Socket{}
	for _, t := range targets {
		socks, err := o.Holders(ctx, t.port, t.proto)
		if err != nil {
			return nil, nil, err
		}
		if len(socks) == 0 {
			cs, err := o.published(ctx, t)
			switch {
			case err != nil:
				o.fail(rep, &t, "refused", err)
			case len(cs) > 0:
				for _, c := range cs {
					o.queueStop(c, t, nil)
				}
				held[t] = []portolan.Socket{}
			default:
				o.fail(rep, &t, "not_listening", portolan.Errorf(portolan.ENOTFOUND, "nothing listens on port %s", t))
			}
			continue
		}
		ok := true
		for _, s := range socks {
			switch {
			case s.Owner == nil && s.Hidden:
				o.fail(rep, &t, "refused", portolan.Errorf(portolan.EFORBIDDEN, "port %s (%s %s) is held by a process of user %s that /proc hides from you: run as that user or root",
					t, s.Proto, s.Local, sockets.UserName(s.UID)))
				ok = false
			case s.Owner == nil:
				o.fail(rep, &t, "refused", portolan.Errorf(portolan.ENOTFOUND, "port %s (%s %s) is held by no process this host shows (a socket being closed, or another PID namespace)", t, s.Proto, s.Local))
				ok = false
			case s.Owner.PID == 1 || s.Owner.PID == o.Self || s.Owner.PID == o.Parent:
				o.fail(rep, &t, "refused", portolan.Errorf(portolan.EFORBIDDEN, "refusing to signal pid %d (%s) holding port %s: it is %s", s.Owner.PID, cmdutil.Sanitize(s.Owner.Name), t, o.whom(s.Owner.PID)))
				ok = false
			case o.isContainers(ctx, t, s, rep, &ok):
			case !o.Force && o.supervisor(ctx, s.Owner.PID) != nil:
				sup := o.supervisor(ctx, s.Owner.PID)
				o.fail(rep, &t, "refused", portolan.Errorf(portolan.ECONFLICT, "pid %d (%s) holding port %s runs under %s (pid %d), which would start it again: %s; or --force to signal it anyway",
					s.Owner.PID, cmdutil.Sanitize(s.Owner.Name), t, sup.Kind, sup.PID, cmdutil.Sanitize(sup.Stop)))
				ok = false
			default:
				v := byPID[s.Owner.PID]
				if v == nil {
					v = &victim{proc: s.Owner}
					byPID[s.Owner.PID] = v
					victims = append(victims, v)
				}
				v.socks = append(v.socks, s)
			}
		}
		if ok {
			held[t] = socks
		}
	}
	return victims, held, nil
}

func (o *Options) whom(pid int) string {
	switch pid {
	case 1:
		return "init"
	case o.Self:
		return "portolan itself"
	}
	return "portolan's parent"
}

// commandLine prints argv on one line as a shell would read it back:
// arguments with spaces or quotes in single quotes, and arguments with
// anything cmdutil.Sanitize would replace (a newline in a script passed
// with -c, an escape sequence) escaped Go-style, so nothing reaches the
// terminal raw.
func commandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case cmdutil.Sanitize(a) != a:
			out[i] = "$" + quoteANSIC(a)
		case a == "" || strings.ContainsAny(a, " '\"\\$`!*?&;|<>()[]{}#~"):
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		default:
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

// quoteANSIC quotes s as bash's $'...' so escapes stay visible.
func quoteANSIC(s string) string {
	q := strconv.Quote(s)
	return "'" + strings.ReplaceAll(q[1:len(q)-1], "'", `\'`) + "'"
}

// signalError explains a failed signal: EPERM means the process belongs to
// another user.
func signalError(v *victim, sig Signal, err error) error {
	if errors.Is(err, os.ErrPermission) {
		user, who := v.proc.User, "root"
		switch user {
		case "":
			user = "another user"
		case "root":
		default:
			who = user + " or root"
		}
		return portolan.Errorf(portolan.EFORBIDDEN, "cannot send %s to pid %d (%s) of user %s: operation not permitted; run as %s",
			sig, v.proc.PID, cmdutil.Sanitize(v.proc.Name), cmdutil.Sanitize(user), cmdutil.Sanitize(who))
	}
	return portolan.Errorf(portolan.EINTERNAL, "cannot send %s to pid %d (%s): %v", sig, v.proc.PID, cmdutil.Sanitize(v.proc.Name), err)
}
