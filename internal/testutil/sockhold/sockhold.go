// Package sockhold runs a child process that holds sockets, for tests that
// need a real other process on a real port: owner lookup, kill, wait. The
// child is the test binary itself, re-executed with an environment variable,
// so no extra build step is needed; call Main first in TestMain.
package sockhold

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

const envSpec = "PORTOLAN_SOCKHOLD"

// Main turns the process into the holder when it was started by Start. It
// returns at once in an ordinary test run.
func Main() {
	spec, ok := os.LookupEnv(envSpec)
	if !ok {
		return
	}
	os.Exit(hold(strings.Fields(spec)))
}

// Child is a running holder process.
type Child struct {
	Cmd   *exec.Cmd
	PID   int
	Ports []portolan.Port // the bound port of each socket spec, in order
	Args  []string        // the child's command line
	stdin io.Closer
	done  chan struct{} // closed when the child has been reaped
}

// Start runs a holder. Each spec is "tcp:ADDR:PORT" (listen), "udp:ADDR:PORT"
// (bind), "connect:ADDR:PORT" (a TCP client connection), "many:N" (N
// listeners on 127.0.0.1, one port each), "refill:K" (close the first K
// sockets and listen again, so low descriptors hold the newest sockets) or
// "ignore-term" (the child ignores SIGTERM). Port 0 lets the kernel choose,
// port "free" picks one below the ephemeral range (no client socket can
// take its number); Ports reports the result. The child ends when the test ends (its stdin closes) or when
// it is signalled.
func Start(t testing.TB, specs ...string) *Child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return StartExe(t, exe, nil, specs...)
}

// StartExe is Start with an explicit binary (a copy of the test binary) and
// process attributes (e.g. credentials to run as another user).
func StartExe(t testing.TB, exe string, attr *syscall.SysProcAttr, specs ...string) *Child {
	t.Helper()
	return start(t, nil, exe, attr, specs)
}

// StartIn is Start through a command prefix that runs the holder
// elsewhere: another network namespace (ip netns exec NAME) or as pid 1 of
// a new pid namespace (unshare --pid --fork). exe "" is the test binary.
// PID is the prefix's process when it forks (unshare), the holder's when
// it execs (ip netns exec).
func StartIn(t testing.TB, prefix []string, exe string, specs ...string) *Child {
	t.Helper()
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			t.Fatal(err)
		}
	}
	return start(t, prefix, exe, nil, specs)
}

func start(t testing.TB, prefix []string, exe string, attr *syscall.SysProcAttr, specs []string) *Child {
	t.Helper()
	args := append(append(prefix[:len(prefix):len(prefix)], exe), "-test.run=^$", "sockhold")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envSpec+"="+strings.Join(specs, " "))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = attr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		t.Fatalf("start socket holder: %v", err)
	}
	c := &Child{Cmd: cmd, PID: cmd.Process.Pid, Args: args[len(prefix):], stdin: in, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.Stop)
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
		out.Close()
	}()
	select {
	case s := <-line:
		f := strings.Fields(s)
		if len(f) == 0 || f[0] != "ready" {
			t.Fatalf("socket holder %v did not start: %q", specs, s)
		}
		for _, p := range f[1:] {
			c.Ports = append(c.Ports, portolan.MustParsePort(p))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("socket holder %v not ready after 10s", specs)
	}
	return c
}

// Stop kills the child and reaps it; it is safe to call twice.
func (c *Child) Stop() {
	c.stdin.Close()
	c.Cmd.Process.Kill()
	<-c.done
}

// Exited waits up to d for the child to exit and reports whether it did.
func (c *Child) Exited(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// hold is the child: it opens the sockets, prints "ready PORT...", then
// waits for its stdin to close.
func hold(specs []string) int {
	var keep []io.Closer
	var ports []string
	for _, s := range specs {
		kind, addr, _ := strings.Cut(s, ":")
		switch kind {
		case "ignore-term":
			signal.Ignore(syscall.SIGTERM)
			continue
		case "tcp":
			ln, err := listenFree(addr, func(a string) (io.Closer, error) { return net.Listen("tcp", a) })
			if err != nil {
				fmt.Println("error", err)
				return 1
			}
			keep = append(keep, ln)
			ports = append(ports, strconv.Itoa(ln.(net.Listener).Addr().(*net.TCPAddr).Port))
		case "udp":
			pc, err := listenFree(addr, func(a string) (io.Closer, error) { return net.ListenPacket("udp", a) })
			if err != nil {
				fmt.Println("error", err)
				return 1
			}
			keep = append(keep, pc)
			ports = append(ports, strconv.Itoa(pc.(net.PacketConn).LocalAddr().(*net.UDPAddr).Port))
		case "many": // N listeners on 127.0.0.1, opened one after another on one CPU
			n, _ := strconv.Atoi(addr)
			err := onOneCPU(func() error {
				for range n {
					ln, err := net.Listen("tcp4", "127.0.0.1:0")
					if err != nil {
						return err
					}
					keep = append(keep, ln)
					ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
				}
				return nil
			})
			if err != nil {
				fmt.Println("error", err)
				return 1
			}
		case "refill": // close the first K sockets and open K new listeners in their descriptors
			k, _ := strconv.Atoi(addr)
			for i := 0; i < k && i < len(keep); i++ {
				keep[i].Close()
				ln, err := net.Listen("tcp4", "127.0.0.1:0")
				if err != nil {
					fmt.Println("error", err)
					return 1
				}
				keep[i] = ln
				ports[i] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			}
		case "connect":
			c, err := net.Dial("tcp", addr)
			if err != nil {
				fmt.Println("error", err)
				return 1
			}
			keep = append(keep, c)
			ports = append(ports, strconv.Itoa(c.LocalAddr().(*net.TCPAddr).Port))
		default:
			fmt.Println("error: unknown spec", s)
			return 2
		}
	}
	fmt.Println("ready", strings.Join(ports, " "))
	io.Copy(io.Discard, os.Stdin)
	for _, k := range keep {
		k.Close()
	}
	return 0
}

// HostileName is a process name (comm, at most 15 bytes) that would retitle
// the terminal and clear the screen if printed raw.
const HostileName = "x\x1b]0;pwn\x07\x1b[2J"

// StartHostile is Start with the holder run through a symlink named
// HostileName, so its comm and argv[0] carry escape sequences.
func StartHostile(t testing.TB, specs ...string) *Child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), HostileName)
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return StartExe(t, link, nil, specs...)
}

// HandOff starts cmd with ln's socket as its fd 3 and closes this process's
// copies, so cmd (sleep, a supervisor) alone holds the listener, as a
// program started by a supervisor or inetd would. Stopping cmd is the
// caller's.
func HandOff(t testing.TB, ln net.Listener, cmd *exec.Cmd) {
	t.Helper()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	defer f.Close()
	cmd.ExtraFiles = append([]*os.File{f}, cmd.ExtraFiles...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// listenFree binds addr, whose port "free" means one below this network
// namespace's ephemeral range: a port the kernel chose (port 0) can be any
// other process's next client port too, and a test that then checks the
// port is free after its holder ends would see that client's socket.
func listenFree(addr string, listen func(string) (io.Closer, error)) (io.Closer, error) {
	host, ok := strings.CutSuffix(addr, ":free")
	if !ok {
		return listen(addr)
	}
	lo := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, _ = strconv.Atoi(f[0])
		}
	}
	var err error
	for range 200 {
		p := 10000 + rand.IntN(max(lo-10000, 1))
		var c io.Closer
		if c, err = listen(net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(p))); err == nil {
			return c, nil
		}
	}
	return nil, err
}
