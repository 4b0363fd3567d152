// Package supervisore2e runs the programs that restart what they run —
// pm2, nodemon, supervisord — for real, each keeping a real node server on
// a loopback port, and checks what portolan says and does about them: ls
// names the supervisor and the command that stops it, kill refuses
// without --force, and that command really stops the server. It holds
// tests only.
package supervisore2e

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/kill"
	"github.com/portolan-dev/portolan/internal/cli/ls"
	"github.com/portolan-dev/portolan/sockets"
)

// npmDir is where scripts/install-deps.sh installs pm2 and nodemon
// (PORTOLAN_TEST_NPM overrides it).
func npmDir() string {
	if d := os.Getenv("PORTOLAN_TEST_NPM"); d != "" {
		return d
	}
	return "/opt/portolan-test-npm"
}

// need returns the path of a tool, skipping the test when it is missing,
// except in CI (CI=true), where install-deps has installed it.
func need(t *testing.T, tool string) string {
	t.Helper()
	p := tool
	if !strings.Contains(tool, "/") {
		var err error
		if p, err = exec.LookPath(tool); err != nil {
			p = ""
		}
	} else if _, err := os.Stat(tool); err != nil {
		p = ""
	}
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: scripts/install-deps.sh installs it", tool)
		}
		t.Skipf("%s is missing (scripts/install-deps.sh installs it)", tool)
	}
	return p
}

// npmBin is an npm package's command from the test cache.
func npmBin(t *testing.T, name string) string {
	return need(t, filepath.Join(npmDir(), "node_modules", ".bin", name))
}

// server writes a node HTTP server that listens on 127.0.0.1:$PORT.
func server(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "server.js")
	src := `require('http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');` + "\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort is a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// holderOf waits until something listens on port and returns the process.
func holderOf(t *testing.T, port int, d time.Duration) *portolan.Process {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		socks, _ := sockets.List(context.Background(), sockets.Filter{Port: portolan.Port(port), Protos: []portolan.Proto{portolan.TCP}, WithOwners: true})
		for _, s := range socks {
			if s.Owner != nil {
				return s.Owner
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on 127.0.0.1:%d after %s", port, d)
		}
	}
}

// free waits until nothing listens on port.
func free(t *testing.T, port int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		socks, _ := sockets.List(context.Background(), sockets.Filter{Port: portolan.Port(port), Protos: []portolan.Proto{portolan.TCP}})
		if len(socks) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("127.0.0.1:%d still held after %s", port, d)
		}
	}
}

// portolan runs a verb in this process as the binary would and returns
// its stdout, its stderr (with the error line main prints) and exit code.
func run(t *testing.T, tty bool, verb func(*cmdutil.Factory) *cobra.Command, args ...string) (string, string, int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetTerminalWidth(400)
	cmd := verb(&cmdutil.Factory{IOStreams: ios})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	if msg := cmdutil.Message(err); msg != "" {
		errOut.WriteString("portolan: " + msg + "\n")
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

// ownerOf is the holder `ls PORT --json` reports for port.
func ownerOf(t *testing.T, port int) *portolan.Holder {
	t.Helper()
	out, errOut, code := run(t, false, ls.NewCmdLs, strconv.Itoa(port), "--json")
	var rows []struct {
		Owner *portolan.Process `json:"owner"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) == 0 || rows[0].Owner == nil {
		t.Fatalf("ls %d --json = %s %s exit %d (%v); want the listener with its owner", port, out, errOut, code, err)
	}
	return rows[0].Owner.Holder
}

// checkSupervised asserts what ls and kill say about a port held under a
// supervisor of kind whose stop command is stop: ls --json names both,
// the OWNER column names the supervisor, and kill refuses without --force
// naming the supervisor and the command. It returns the holder.
func checkSupervised(t *testing.T, port int, kind, stop string) *portolan.Holder {
	t.Helper()
	h := ownerOf(t, port)
	if h == nil || h.Supervisor == nil || h.Supervisor.Kind != kind || h.Supervisor.Stop != stop {
		t.Fatalf("ls %d --json: owner.holder = %+v; want supervisor %s with stop %q", port, h, kind, stop)
	}
	table, _, _ := run(t, true, ls.NewCmdLs, strconv.Itoa(port))
	if want := "under " + kind + " pid " + strconv.Itoa(h.Supervisor.PID); !strings.Contains(table, "OWNER") || !strings.Contains(table, want) {
		t.Errorf("ls %d on a terminal:\n%s\nwant an OWNER column with %q", port, table, want)
	}
	out, errOut, code := run(t, false, kill.NewCmdKill, strconv.Itoa(port))
	if code != 1 || !strings.Contains(errOut, "runs under "+kind+" (pid "+strconv.Itoa(h.Supervisor.PID)+")") ||
		!strings.Contains(errOut, stop) || !strings.Contains(errOut, "--force") || strings.Contains(out, "sent") {
		t.Errorf("kill %d = %q %q exit %d; want a refusal naming %s and %q", port, out, errOut, code, kind, stop)
	}
	return h
}

// sh runs a stop command as a user would paste it.
func sh(t *testing.T, command string, path ...string) {
	t.Helper()
	c := exec.Command("sh", "-c", command)
	c.Env = append(os.Environ(), "PATH="+strings.Join(append(path, os.Getenv("PATH")), ":"))
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", command, err, out)
	}
}
