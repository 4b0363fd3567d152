//go:build unix

package run_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/run"
	"github.com/portolan-dev/portolan/internal/testutil/syncbuf"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/lease/leasetest"
)

// TestMain lets this binary play two parts for the --listen-fds test: the
// LISTEN_PID exec helper (as `portolan run --internal-exec-listen-pid`),
// and a small socket-activated server that serves on fd 3.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "__execpid":
			os.Exit(cmdutil.ExitCode(run.ExecListenPID(os.Args[2:])))
		case "__serve3":
			os.Exit(serveFD3())
		}
	}
	os.Exit(m.Run())
}

// serveFD3 is a systemd-style socket-activated server: it checks the
// activation variables, accepts one connection on fd 3 and answers it.
func serveFD3() int {
	ln, err := net.FileListener(os.NewFile(3, "fd3"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fd 3 is not a listener:", err)
		return 3
	}
	c, err := ln.Accept()
	if err != nil {
		return 4
	}
	defer c.Close()
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") != "1" || os.Getenv("LISTEN_FDNAMES") != "PORT" {
		fmt.Fprintf(c, "bad activation: LISTEN_PID=%s (pid %d) LISTEN_FDS=%s LISTEN_FDNAMES=%s\n",
			os.Getenv("LISTEN_PID"), os.Getpid(), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
		return 5
	}
	fmt.Fprintf(c, "served from fd 3 on port %s\n", os.Getenv("PORT"))
	return 0
}

func service(t *testing.T) *lease.Allocator {
	t.Helper()
	a, _ := leasetest.Allocator(t)
	return a
}

func start(t *testing.T, a portolan.LeaseService, o run.Options) (*syncbuf.Buffer, <-chan error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	out := &syncbuf.Buffer{}
	ios.Out, ios.ErrOut = out, out
	o.IO = ios
	o.Leases = func() (portolan.LeaseService, error) { return a, nil }
	if o.Count == 0 {
		o.Count = 1
	}
	if o.Env == "" {
		o.Env = "PORT"
	}
	o.Owner = os.Getpid()
	done := make(chan error, 1)
	go func() { done <- run.Run(context.Background(), &o) }()
	return out, done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("run did not end within 30s")
		return nil
	}
}

func TestRunExportsPorts(t *testing.T) {
	a := service(t)
	out, done := start(t, a, run.Options{Count: 2, Env: "HTTP_PORT", Args: []string{"sh", "-c", `echo "$HTTP_PORT $HTTP_PORT0 $HTTP_PORT1"`}})
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(out.String())
	if len(f) != 3 || f[0] != f[1] || f[1] == f[2] {
		t.Fatalf("child printed %q, want HTTP_PORT = HTTP_PORT0 and a distinct HTTP_PORT1", out.String())
	}
	if ls, _ := a.Leases(context.Background()); len(ls) != 0 {
		t.Errorf("leases left after the command ended: %v", ls)
	}
}

func TestRunExitStatus(t *testing.T) {
	a := service(t)
	for _, c := range []struct {
		script string
		code   int
	}{{"exit 0", 0}, {"exit 7", 7}, {"kill -9 $$", 128 + 9}} {
		_, done := start(t, a, run.Options{Args: []string{"sh", "-c", c.script}})
		if got := cmdutil.ExitCode(wait(t, done)); got != c.code {
			t.Errorf("%q: exit %d, want %d", c.script, got, c.code)
		}
	}
	_, done := start(t, a, run.Options{Args: []string{"no-such-command-portolan"}})
	if got := cmdutil.ExitCode(wait(t, done)); got != 127 {
		t.Errorf("missing command: exit %d, want 127", got)
	}
	if ls, _ := a.Leases(context.Background()); len(ls) != 0 {
		t.Errorf("leases left: %v", ls)
	}
}

func TestRunForwardsSignals(t *testing.T) {
	a := service(t)
	out, done := start(t, a, run.Options{Args: []string{"sh", "-c", `trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done`}})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "ready") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM) // caught by run, passed on
	err := wait(t, done)
	if cmdutil.ExitCode(err) != 42 || !strings.Contains(out.String(), "got TERM") {
		t.Fatalf("exit %d, output %q; want the child to get SIGTERM and exit 42", cmdutil.ExitCode(err), out.String())
	}
}

// --listen-fds hands a working listener to a child that serves on fd 3,
// with LISTEN_PID naming the child itself.
func TestRunListenFDs(t *testing.T) {
	a := service(t)
	_, done := start(t, a, run.Options{ListenFDs: true, Bind: "127.0.0.1",
		Helper: []string{os.Args[0], "__execpid"}, Args: []string{os.Args[0], "__serve3"}})
	var port portolan.Port
	deadline := time.Now().Add(10 * time.Second)
	for port == 0 && time.Now().Before(deadline) {
		if ls, _ := a.Leases(context.Background()); len(ls) == 1 {
			port = ls[0].Port
		}
		time.Sleep(2 * time.Millisecond)
	}
	if port == 0 {
		t.Fatal("no lease appeared")
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port.String()), 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the leased port: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if want := "served from fd 3 on port " + port.String() + "\n"; line != want {
		t.Fatalf("child answered %q (%v), want %q", line, err, want)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("run: %v", err)
	}
	if ls, _ := a.Leases(context.Background()); len(ls) != 0 {
		t.Errorf("leases left: %v", ls)
	}
}

func TestRunUsage(t *testing.T) {
	a := service(t)
	for _, o := range []run.Options{{Count: 65, Args: []string{"true"}}, {Env: "1BAD", Args: []string{"true"}}, {Env: "A-B", Args: []string{"true"}}, {}} {
		_, done := start(t, a, o)
		if got := cmdutil.ExitCode(wait(t, done)); got != 2 {
			t.Errorf("%+v: exit %d, want 2", o, got)
		}
	}
}

// Flags that could not work are refused before anything is leased or run.
func TestRunBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--range", "", "--", "true"}, "--range is empty: want user, dynamic or LO-HI, e.g. 20000-20999"},
		{[]string{"--proto", "", "--", "true"}, `--proto "" is not one of tcp, udp, both`},
		{[]string{"--bind", "::1", "--", "true"}, "--bind ::1 needs --listen-fds: it is the address the passed sockets bind"},
		{[]string{"--listen-fds", "--bind", "127.0.0.1:80", "--", "true"}, `--bind "127.0.0.1:80" has a port: want an address only, e.g. 127.0.0.1 or ::1 (the ports are leased)`},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := run.NewCmdRun(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != c.msg {
			t.Errorf("run %q: exit %d %q, want 2 %q", c.args, cmdutil.ExitCode(err), cmdutil.Message(err), c.msg)
		}
	}
}

// run --json reports on stderr (stdout is the command's): the ports when
// the command starts, its status when it ends.
func TestRunJSON(t *testing.T) {
	a := service(t)
	for _, c := range []struct {
		script      string
		status, sig int
	}{{`echo "port $PORT"`, 0, 0}, {"kill -9 $$", 137, 9}} {
		ios, _, _, _ := iostreams.Test()
		out, errOut := &syncbuf.Buffer{}, &syncbuf.Buffer{}
		ios.Out, ios.ErrOut = out, errOut
		o := run.Options{IO: ios, Leases: func() (portolan.LeaseService, error) { return a, nil }, Count: 2, Env: "PORT",
			Owner: os.Getpid(), JSON: true, Args: []string{"sh", "-c", c.script}}
		err := run.Run(context.Background(), &o)
		if cmdutil.ExitCode(err) != c.status {
			t.Fatalf("%q: exit %d", c.script, cmdutil.ExitCode(err))
		}
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		var st, end run.Event
		if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &st) != nil || json.Unmarshal([]byte(lines[1]), &end) != nil {
			t.Fatalf("%q: stderr %q, want two JSON lines", c.script, errOut.String())
		}
		if st.Event != "start" || len(st.Ports) != 2 || st.PID == 0 || end.Event != "exit" || end.PID != st.PID || end.Status == nil || *end.Status != c.status || end.Signal != c.sig {
			t.Errorf("%q: events %+v %+v", c.script, st, end)
		}
		if c.status == 0 && out.String() != "port "+st.Ports[0].Port.String()+"\n" {
			t.Errorf("stdout %q is not the command's alone", out.String())
		}
	}
}
