package kill

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testutil/nobody"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/sockets"
)

func opts(args ...string) *Options {
	return &Options{Holders: sockets.Holders, Listening: listening, Signal: signalProcess, Remaining: remaining,
		Args: args, SignalName: "TERM", Timeout: 5 * time.Second, Self: os.Getpid(), Parent: os.Getppid()}
}

// run runs kill and returns stdout, stderr (with the error line main
// would print) and the exit code.
func run(t *testing.T, o *Options) (string, string, int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	o.IO = ios
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Run(ctx, o)
	if msg := cmdutil.Message(err); msg != "" {
		errOut.WriteString("portolan: " + msg + "\n")
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func port(p portolan.Port) string { return strconv.Itoa(int(p)) }

func listeningOn(t *testing.T, p portolan.Port, proto portolan.Proto) bool {
	t.Helper()
	ok, err := sockets.Listening(context.Background(), p, proto)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestKillStopsTheServerNotItsClients(t *testing.T) {
	server := sockhold.Start(t, "tcp:127.0.0.1:free")
	p := server.Ports[0]
	client := sockhold.Start(t, "connect:127.0.0.1:"+port(p))
	out, errOut, code := run(t, opts(port(p)))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("sent TERM to pid %d", server.PID)) || !strings.Contains(out, "port "+port(p)+" is free after") {
		t.Fatalf("kill %d: %q %q exit %d; want TERM to %d and the port free", p, out, errOut, code, server.PID)
	}
	if strings.Contains(out, strconv.Itoa(client.PID)) {
		t.Errorf("kill %d touched the client %d: %q", p, client.PID, out)
	}
	if !server.Exited(5 * time.Second) {
		t.Error("the server is still running")
	}
	if client.Exited(200 * time.Millisecond) {
		t.Error("the client connected to the port was stopped too")
	}
	if listeningOn(t, p, portolan.TCP) {
		t.Errorf("port %d still listening", p)
	}
}

func TestKillSeveralPortsAndUDP(t *testing.T) {
	// Ports below the ephemeral range: another test's client socket could
	// take a port the kernel chose, and the port would not be free.
	a := sockhold.Start(t, "tcp:[::1]:free")
	b := sockhold.Start(t, "udp:127.0.0.1:free")
	out, errOut, code := run(t, opts(port(a.Ports[0])+"/tcp", port(b.Ports[0])+"/udp"))
	if code != 0 || !a.Exited(5*time.Second) || !b.Exited(5*time.Second) {
		t.Fatalf("kill %d/tcp %d/udp: %q %q exit %d; want both stopped", a.Ports[0], b.Ports[0], out, errOut, code)
	}
	if strings.Count(out, "is free after") != 2 {
		t.Errorf("output %q; want both ports reported free", out)
	}
}

func TestKillIgnoringTerm(t *testing.T) {
	stubborn := sockhold.Start(t, "ignore-term", "tcp:127.0.0.1:free")
	p := stubborn.Ports[0]
	o := opts(port(p))
	o.Timeout = 300 * time.Millisecond
	t0 := time.Now()
	out, errOut, code := run(t, o)
	if code != cmdutil.ExitTimeout || !strings.Contains(errOut, "port "+port(p)+" is still held after") ||
		!strings.Contains(errOut, fmt.Sprintf("pid %d", stubborn.PID)) || !strings.Contains(errOut, "--force") {
		t.Fatalf("kill %d (TERM ignored): %q %q exit %d; want exit 124 naming the pid and --force", p, out, errOut, code)
	}
	if d := time.Since(t0); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("gave up after %s; want about the 300ms timeout", d)
	}
	if stubborn.Exited(100*time.Millisecond) || !listeningOn(t, p, portolan.TCP) {
		t.Fatal("without --force the process must survive")
	}
	o = opts(port(p))
	o.Timeout, o.Force = 300*time.Millisecond, true
	out, errOut, code = run(t, o)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("sent KILL to pid %d", stubborn.PID)) || !strings.Contains(out, "is free after") {
		t.Fatalf("kill --force %d: %q %q exit %d; want KILL after the timeout and the port free", p, out, errOut, code)
	}
	if !stubborn.Exited(5 * time.Second) {
		t.Error("the process survived SIGKILL")
	}
}

func TestKillDryRun(t *testing.T) {
	server := sockhold.Start(t, "tcp:127.0.0.1:free", "udp:127.0.0.1:free")
	o := opts(port(server.Ports[0]))
	o.DryRun, o.SignalName = true, "sigint"
	out, errOut, code := run(t, o)
	want := fmt.Sprintf("would send INT to pid %d (", server.PID)
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "    "+commandLine(server.Args)+"\n") {
		t.Fatalf("--dry-run: %q %q exit %d; want %q and the command line %q", out, errOut, code, want, server.Args)
	}
	if server.Exited(200 * time.Millisecond) {
		t.Error("--dry-run stopped the process")
	}
}

func TestKillNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out, errOut, code := run(t, opts(strconv.Itoa(free)))
	if code != 1 || out != "" || errOut != fmt.Sprintf("portolan: nothing listens on port %d\n", free) {
		t.Errorf("kill %d (free): %q %q exit %d; want exit 1 and one line", free, out, errOut, code)
	}
}

func TestKillRefusesItself(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := ln.Addr().(*net.TCPAddr).Port
	_, errOut, code := run(t, opts(strconv.Itoa(p)))
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("refusing to signal pid %d", os.Getpid())) || !strings.Contains(errOut, "portolan itself") {
		t.Errorf("kill own port: %q exit %d; want a refusal", errOut, code)
	}
}

func TestKillRefusesInitAndParent(t *testing.T) {
	for _, c := range []struct {
		pid  int
		want string
	}{{1, "it is init"}, {os.Getppid(), "portolan's parent"}} {
		o := opts("8080")
		o.Holders = func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
			return []portolan.Socket{{Proto: portolan.TCP, State: "LISTEN", Inode: 1, Owner: &portolan.Process{PID: c.pid, Name: "x"}}}, nil
		}
		o.Signal = func(*portolan.Process, Signal) error { t.Fatal("signalled a refused process"); return nil }
		if _, errOut, code := run(t, o); code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("pid %d: %q exit %d; want a refusal saying %q", c.pid, errOut, code, c.want)
		}
	}
}

func TestKillBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		set  func(*Options)
		want string
	}{
		{[]string{"70000"}, nil, "port 70000 is out of range 0-65535"},
		{[]string{"web"}, nil, `port "web" is not a number`},
		{[]string{"0"}, nil, "port 0 cannot be listened on"},
		{[]string{"80/sctp"}, nil, `protocol "sctp" is not tcp or udp`},
		{[]string{"80"}, func(o *Options) { o.SignalName = "TERMINATE" }, `signal "TERMINATE" is not a signal name`},
		{[]string{"80"}, func(o *Options) { o.Timeout, o.Force = 0, true }, "--force needs a --timeout above 0"},
		{[]string{"80"}, func(o *Options) { o.Timeout = -time.Second }, "--timeout -1s is negative"},
	} {
		o := opts(c.args...)
		o.Holders = func(context.Context, portolan.Port, portolan.Proto) ([]portolan.Socket, error) {
			t.Fatal("looked up holders for bad input")
			return nil, nil
		}
		if c.set != nil {
			c.set(o)
		}
		if out, errOut, code := run(t, o); code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("kill %v: %q %q exit %d; want exit 2 and %q", c.args, out, errOut, code, c.want)
		}
	}
}

// TestSignalChecksStartTime: a pid whose start time differs from the one
// seen at lookup names another process now, and is never signalled.
func TestSignalChecksStartTime(t *testing.T) {
	child := sockhold.Start(t, "tcp:127.0.0.1:free")
	ticks, err := sockets.StartTicks(child.PID)
	if err != nil {
		t.Fatal(err)
	}
	err = signalProcess(&portolan.Process{PID: child.PID, StartTicks: ticks + 1}, 15)
	if err != errGone || child.Exited(200*time.Millisecond) {
		t.Fatalf("signal with a stale start time: %v; want errGone and the process untouched", err)
	}
	if err := signalProcess(&portolan.Process{PID: child.PID, StartTicks: ticks}, 15); err != nil || !child.Exited(5*time.Second) {
		t.Fatalf("signal with the right start time: %v; want the process stopped", err)
	}
}

const envAsUser = "PORTOLAN_KILL_TEST_ARGS"

// asUserMain runs kill with the arguments in the environment, when the
// test binary is re-executed as another user.
func asUserMain() {
	v, ok := os.LookupEnv(envAsUser)
	if !ok {
		return
	}
	ios := iostreams.System()
	o := opts(strings.Fields(v)...)
	o.IO = ios
	err := Run(context.Background(), o)
	if msg := cmdutil.Message(err); msg != "" {
		fmt.Fprintln(os.Stderr, "portolan: "+msg)
	}
	os.Exit(cmdutil.ExitCode(err))
}

// TestKillAnotherUsersProcess runs kill as uid 65534 against a root
// process. With CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE it can read the
// owner from /proc but not signal it: the OS says EPERM, and kill must say so plainly. Without the
// capability /proc hides the owner, which kill must say too.
func TestKillAnotherUsersProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run kill as uid 65534 (CI runs as root)")
	}
	exe := nobody.Exe(t, "kill.test")
	root := sockhold.Start(t, "tcp:127.0.0.1:free")
	p := port(root.Ports[0])
	for _, c := range []struct {
		caps []uintptr
		want string
	}{
		{[]uintptr{2 /* CAP_DAC_READ_SEARCH */, 19 /* CAP_SYS_PTRACE */}, fmt.Sprintf("cannot send TERM to pid %d (kill.test) of user root: operation not permitted; run as root\n", root.PID)},
		{nil, "is held by a process of user root that /proc hides from you"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envAsUser+"="+p)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody.UID, Gid: nobody.UID}, AmbientCaps: c.caps}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 1 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("kill %s as uid 65534 (caps %v): %q exit %d (%v); want exit 1 and %q", p, c.caps, stderr.String(), code, err, c.want)
		}
		if root.Exited(100 * time.Millisecond) {
			t.Fatal("the root process was stopped by uid 65534")
		}
	}
}

func TestCommandLineStaysOnOneLine(t *testing.T) {
	got := commandLine([]string{"python3", "-c", "import os\nprint('hi')", "a b", "plain", ""})
	want := `python3 -c $'import os\nprint(\'hi\')' 'a b' plain ''`
	if got != want {
		t.Errorf("commandLine = %s; want %s", got, want)
	}
}

// A process whose name and command line carry escape sequences reaches the
// terminal only as inert text: in --dry-run's lines, in what kill reports
// sending, and in its errors.
func TestKillSanitisesProcessNames(t *testing.T) {
	server := sockhold.StartHostile(t, "tcp:127.0.0.1:free")
	p := port(server.Ports[0])
	o := opts(p)
	o.DryRun = true
	out, errOut, code := run(t, o)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("pid %d (x?]0;pwn??[2J", server.PID)) {
		t.Fatalf("--dry-run: %q %q exit %d", out, errOut, code)
	}
	o = opts(p)
	o.SignalName, o.Timeout = "CONT", 200*time.Millisecond // survives: the timeout message names it too
	out2, errOut2, _ := run(t, o)
	for _, s := range []string{out, errOut, out2, errOut2} {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("raw escape sequence printed: %q", s)
		}
	}
	if !strings.Contains(errOut2, "still held") || !strings.Contains(errOut2, "(x?]0;pwn??[2J)") {
		t.Errorf("timeout message %q does not name the holder sanitised", errOut2)
	}
}
