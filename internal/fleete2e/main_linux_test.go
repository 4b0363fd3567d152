// Package fleete2e runs the fleet end to end: real `portolan serve`
// processes on a real PostgreSQL, real `portolan agent` processes in
// network namespaces that stand for hosts, and the listeners, partitions
// and restarts a fleet lives through. It holds tests only.
package fleete2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/agent"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// The test binary doubles as `portolan serve` and `portolan agent`, chosen
// by PORTOLAN_E2E_CHILD, and as a socket holder (sockhold); each child
// stops when its stdin closes (the test ended or killed it).
func TestMain(m *testing.M) {
	sockhold.Main()
	if args := os.Getenv("PORTOLAN_E2E_CHILD"); args != "" {
		os.Exit(child(strings.Fields(args)))
	}
	os.Exit(pgtest.Main(m))
}

func child(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	f := &cmdutil.Factory{IOStreams: iostreams.System(), Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir}
	var cmd *cobra.Command
	switch args[0] {
	case "serve":
		cmd = serve.NewCmdServe(f)
	case "agent":
		cmd = agent.NewCmdAgent(f)
	}
	cmd.SetArgs(args[1:])
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "portolan:", cmdutil.Message(err))
		return cmdutil.ExitCode(err)
	}
	return 0
}

// proc is one child process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	mu    sync.Mutex
	log   bytes.Buffer
	lines chan string
}

// spawn starts a child, in namespace ns when not nil, and waits until a
// line of its stderr contains ready.
func spawn(t *testing.T, ns *testnet.NS, env []string, ready string, args ...string) *proc {
	t.Helper()
	argv := []string{os.Args[0], "-test.run=^$"}
	if ns != nil {
		argv = append([]string{"ip", "netns", "exec", ns.Name}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "PORTOLAN_E2E_CHILD="+strings.Join(args, " ")), env...)
	stdin, _ := cmd.StdinPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, lines: make(chan string, 1)}
	t.Cleanup(p.stop)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if !sent && strings.Contains(sc.Text(), ready) {
				p.lines <- sc.Text()
				sent = true
			}
		}
		close(p.lines)
	}()
	select {
	case l, ok := <-p.lines:
		if !ok {
			cmd.Wait()
			t.Fatalf("%s exited before %q: %s", args[0], ready, p.output())
		}
		_ = l
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print %q in 30s: %s", args[0], ready, p.output())
	}
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// stop ends the child at once (SIGKILL), as a crash would.
func (p *proc) stop() {
	p.stdin.Close()
	p.cmd.Process.Kill()
	p.cmd.Wait()
}
