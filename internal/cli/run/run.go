// Package run is the `portolan run` verb: lease ports for the life of a
// command. Either it exports them (PORT, PORT0, ...) or, with --listen-fds,
// binds them itself and hands the listening sockets to the command the way
// systemd socket activation does, so nothing can take a port between the
// lease and the bind.
package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO        *iostreams.IOStreams
	Leases    func() (portolan.LeaseService, error)
	Count     int
	Env       string // variable name for the first port; NAME0.. for each
	ListenFDs bool
	Bind      string // address the --listen-fds sockets bind
	Proto     portolan.Proto
	Pool      string
	Owner     int // PID that owns the leases (this process); 0 for none
	Args      []string
	// Name runs CMD on the named port of this checkout (portolan port
	// NAME) instead of leasing ports; Names hands it out and Dir names the
	// checkout ("" = the working directory).
	Name  string
	Dir   string
	Names func() (portolan.NameService, error)
	// JSON reports on stderr, as JSON lines, the ports granted when CMD
	// starts and its status when it ends: stdout is CMD's.
	JSON bool
	// Helper is the argv prefix of a process that sets LISTEN_PID to its
	// own PID and then executes the rest of its arguments (this binary's
	// hidden `run --internal-exec-listen-pid --`): only the command's own
	// PID may appear in LISTEN_PID, and only it knows it.
	Helper []string
}

// NewCmdRun returns the run command.
func NewCmdRun(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	var proto string
	var execHelper bool
	cmd := &cobra.Command{
		Use:   "run [-n N | --name NAME] [--env VAR] [--listen-fds] -- CMD [ARG...]",
		Short: "Run a command with leased ports: as PORT variables or as ready listening sockets",
		Long: `Lease N free ports for as long as CMD runs, then release them.

Without --listen-fds, the ports are exported as PORT (the first) and, for N > 1,
PORT0, PORT1, ... (--env renames them). With --listen-fds, portolan binds and listens
on the ports itself (--bind, 127.0.0.1 by default) and passes the sockets to CMD as
file descriptors 3, 4, ... using systemd's socket activation convention (LISTEN_FDS,
LISTEN_PID, LISTEN_FDNAMES), so no other process can take a port in between.

With --name NAME, CMD gets NAME's port of this checkout (portolan port NAME: the same
port every time) instead of leased ones, and every other named port of the checkout as
PORT_<NAME> (PORT_API=41235), so a web app knows its API's port. In CMD's arguments,
{PORT} and {PORT_API} are replaced by those ports, so no sh -c is needed.

Signals are forwarded to CMD; portolan exits with CMD's exit status (128+N when a
signal N ended it). --json writes two JSON lines on stderr (stdout is CMD's): the
ports when CMD starts and its status when it ends.`,
		Example: `  portolan run -- npm run dev
  portolan run -n 2 --env HTTP_PORT -- ./server
  portolan run --listen-fds -- ./my-socket-activated-server
  portolan run --name web -- npm run dev -- --port {PORT}`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("%s: missing CMD; usage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if execHelper {
				return ExecListenPID(args)
			}
			p, err := cmdutil.ParseLeaseProto(proto)
			if err != nil {
				return err
			}
			if err := cmdutil.CheckRange(cmd, opts.Pool); err != nil {
				return err
			}
			if err := checkBind(cmd, opts); err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			opts.Proto, opts.Leases, opts.Names, opts.Args = p, f.LeaseService, f.Names, args
			opts.Helper = []string{exe, "run", "--internal-exec-listen-pid", "--"}
			if url, _ := f.RemoteServer(); url == "" {
				opts.Owner = os.Getpid()
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&opts.Count, "count", "n", 1, "how many distinct ports")
	fl.StringVar(&opts.Env, "env", "PORT", "environment variable for the first port (NAME0, NAME1, ... for each when -n > 1)")
	fl.BoolVar(&opts.ListenFDs, "listen-fds", false, "bind the ports and pass the listening sockets as fds 3.. (systemd socket activation)")
	fl.StringVar(&opts.Bind, "bind", "127.0.0.1", "address the --listen-fds sockets bind")
	fl.StringVar(&proto, "proto", "both", "free for tcp, udp or both; with --listen-fds, udp passes UDP sockets")
	fl.StringVar(&opts.Pool, "range", "user", "where to look: user, dynamic, or LO-HI")
	fl.StringVar(&opts.Name, "name", "", "run on this checkout's named port NAME (portolan port NAME), with PORT_<NAME> for its siblings")
	fl.StringVar(&opts.Dir, "project", "", "with --name: the checkout's directory (default: the working directory)")
	fl.BoolVar(&execHelper, "internal-exec-listen-pid", false, "")
	fl.MarkHidden("internal-exec-listen-pid")
	fl.SetInterspersed(false)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	cmdutil.AddServerFlags(cmd, f)
	return cmd
}

// Run leases the ports, runs the command, forwards signals to it, releases
// the ports when it ends and returns its exit status as a cmdutil exit.
func Run(ctx context.Context, o *Options) error {
	if o.Count < 1 || o.Count > 64 {
		return cmdutil.FlagErrorf("-n %d is out of range: want 1-64", o.Count)
	}
	if !validEnvName(o.Env) {
		return cmdutil.FlagErrorf("--env %q is not a variable name: want letters, digits and _ not starting with a digit", o.Env)
	}
	if len(o.Args) == 0 {
		return cmdutil.FlagErrorf("missing CMD: want portolan run [flags] -- CMD [ARG...]")
	}
	var ls []portolan.Lease
	var named [][2]string // PORT_<NAME> of the checkout's other names
	if o.Name != "" {
		if o.Count != 1 {
			return cmdutil.FlagErrorf("--name runs on one named port: drop -n %d", o.Count)
		}
		np, others, err := o.namedPort(ctx)
		if err != nil {
			return err
		}
		ls, named = []portolan.Lease{{Port: np.Port, Proto: np.Proto}}, others
	} else {
		svc, err := o.Leases()
		if err != nil {
			return err
		}
		if ls, err = svc.Grant(ctx, portolan.LeaseRequest{Count: o.Count, Proto: o.Proto, Pool: o.Pool,
			PID: o.Owner, Label: "run " + o.Args[0]}); err != nil {
			return err
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, l := range ls {
				svc.Release(rctx, l.Port)
			}
		}()
	}
	env := withoutListenVars(os.Environ())
	vars := [][2]string{{o.Env, ls[0].Port.String()}}
	if len(ls) > 1 {
		for i, l := range ls {
			vars = append(vars, [2]string{o.Env + strconv.Itoa(i), l.Port.String()})
		}
	}
	vars = append(vars, named...)
	for _, v := range vars {
		env = append(env, v[0]+"="+v[1])
	}
	o.Args = substitute(o.Args, vars)
	argv := o.Args
	var files []*os.File
	if o.ListenFDs {
		var err error
		files, err = listen(o.Bind, o.Proto, ls)
		defer func() {
			for _, f := range files {
				f.Close()
			}
		}()
		if err != nil {
			return err
		}
		names := make([]string, len(ls))
		for i := range ls {
			names[i] = o.Env
			if len(ls) > 1 {
				names[i] += strconv.Itoa(i)
			}
		}
		env = append(env, "LISTEN_FDS="+strconv.Itoa(len(files)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
		argv = append(append([]string{}, o.Helper...), o.Args...)
	}
	var report func(Event)
	if o.JSON {
		enc := json.NewEncoder(o.IO.ErrOut)
		report = func(e Event) {
			if e.Event == "start" {
				e.Ports = ls
			}
			enc.Encode(e)
		}
	}
	return execute(o.IO, argv, env, files, report)
}

// Event is a JSON line of run --json on stderr: "start" with the leased
// ports and CMD's pid, then "exit" with its status (and the signal that
// ended it, if one did, by number; the status is then 128+N, as the
// shell's).
type Event struct {
	Event  string           `json:"event"`
	PID    int              `json:"pid"`
	Ports  []portolan.Lease `json:"ports,omitempty"`
	Status *int             `json:"status,omitempty"`
	Signal int              `json:"signal,omitempty"`
}

// listen binds and listens on each leased port and returns the sockets'
// files, to become the child's fds 3, 4, ...
func listen(bind string, proto portolan.Proto, ls []portolan.Lease) ([]*os.File, error) {
	var files []*os.File
	for _, l := range ls {
		addr := net.JoinHostPort(bind, l.Port.String())
		var f *os.File
		var err error
		if proto == portolan.UDP {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", addr); err == nil {
				f, err = c.(*net.UDPConn).File()
				c.Close()
			}
		} else {
			var ln net.Listener
			if ln, err = net.Listen("tcp", addr); err == nil {
				f, err = ln.(*net.TCPListener).File()
				ln.Close()
			}
		}
		if err != nil {
			return files, portolan.Errorf(portolan.EINVALID, "--listen-fds: cannot listen on %s: %v; want --bind naming a local address", addr, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// execute runs argv, forwarding signals, and maps its end to an exit code.
func execute(io *iostreams.IOStreams, argv, env []string, files []*os.File, report func(Event)) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(io.ErrOut, "portolan: cannot run %s: %v\n", argv[0], unwrapExec(err))
		return cmdutil.Exit(127)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env, cmd.ExtraFiles = env, files
	cmd.Stdin, cmd.Stdout, cmd.Stderr = io.In, io.Out, io.ErrOut
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(io.ErrOut, "portolan: cannot run %s: %v\n", argv[0], unwrapExec(err))
		return cmdutil.Exit(126)
	}
	// The child holds its own copies of the sockets now.
	for _, f := range files {
		f.Close()
	}
	if report != nil {
		report(Event{Event: "start", PID: cmd.Process.Pid})
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if !fromTerminal(sig) {
				cmd.Process.Signal(sig)
			}
		case err := <-done:
			err = exitStatus(err)
			if report != nil {
				e := Event{Event: "exit", PID: cmd.Process.Pid}
				code := cmdutil.ExitCode(err)
				e.Status = &code
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					e.Signal = int(ws.Signal())
				}
				report(e)
			}
			return err
		}
	}
}

func exitStatus(err error) error {
	var ee *exec.ExitError
	if err == nil {
		return nil
	} else if !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return cmdutil.Exit(128 + int(ws.Signal()))
	}
	return cmdutil.Exit(ee.ExitCode())
}

func unwrapExec(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// withoutListenVars drops inherited socket-activation variables: they
// describe this process's fds, not the child's.
func withoutListenVars(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_FDS=") && !strings.HasPrefix(kv, "LISTEN_PID=") && !strings.HasPrefix(kv, "LISTEN_FDNAMES=") {
			out = append(out, kv)
		}
	}
	return out
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkBind refuses a --bind that could not work: without --listen-fds
// nothing binds it, and with a port it failed as "lookup 127.0.0.1:80: no
// such host" (the ports come from the lease).
func checkBind(cmd *cobra.Command, o *Options) error {
	if !cmd.Flags().Changed("bind") {
		return nil
	}
	if !o.ListenFDs {
		return cmdutil.FlagErrorf("--bind %s needs --listen-fds: it is the address the passed sockets bind", o.Bind)
	}
	if _, _, err := net.SplitHostPort(o.Bind); err == nil {
		return cmdutil.FlagErrorf("--bind %q has a port: want an address only, e.g. 127.0.0.1 or ::1 (the ports are leased)", o.Bind)
	}
	return nil
}

// ExecListenPID replaces this process with args[0], first setting
// LISTEN_PID to this process's PID, which exec keeps: that is how the
// command learns that the inherited sockets are meant for it.
func ExecListenPID(args []string) error {
	if len(args) == 0 {
		return cmdutil.FlagErrorf("missing CMD")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "portolan: cannot run %s: %v\n", args[0], unwrapExec(err))
		return cmdutil.Exit(127)
	}
	env := append(withoutListenVars(os.Environ()), "LISTEN_PID="+strconv.Itoa(os.Getpid()))
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LISTEN_FDS=") || strings.HasPrefix(kv, "LISTEN_FDNAMES=") {
			env = append(env, kv)
		}
	}
	err = syscall.Exec(path, args, env)
	fmt.Fprintf(os.Stderr, "portolan: cannot run %s: %v\n", args[0], err)
	return cmdutil.Exit(126)
}

// namedPort returns o.Name's port in the checkout and the checkout's named
// ports as PORT_<NAME> variables.
func (o *Options) namedPort(ctx context.Context) (portolan.NamedPort, [][2]string, error) {
	if err := portolan.CheckName(o.Name); err != nil {
		return portolan.NamedPort{}, nil, err
	}
	key, _, err := checkout.Key(o.Dir, o.Name)
	if err != nil {
		return portolan.NamedPort{}, nil, err
	}
	svc, err := o.Names()
	if err != nil {
		return portolan.NamedPort{}, nil, err
	}
	np, _, err := svc.PortFor(ctx, portolan.NameRequest{Key: key, Proto: o.Proto, Pool: o.Pool})
	if err != nil {
		return portolan.NamedPort{}, nil, err
	}
	all, err := svc.NamedPorts(ctx)
	if err != nil {
		return portolan.NamedPort{}, nil, err
	}
	var vars [][2]string
	for _, x := range all {
		if x.Worktree == key.Worktree {
			vars = append(vars, [2]string{portolan.EnvName("PORT_", x.Name), x.Port.String()})
		}
	}
	return np, vars, nil
}

// substitute replaces {VAR} in args by the values of vars, so that
// `-- server --port {PORT}` needs no shell.
func substitute(args []string, vars [][2]string) []string {
	pairs := make([]string, 0, 2*len(vars))
	for _, v := range vars {
		pairs = append(pairs, "{"+v[0]+"}", v[1])
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}
