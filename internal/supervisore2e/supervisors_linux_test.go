package supervisore2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/kill"
	"github.com/portolan-dev/portolan/internal/cli/ls"
)

// pm2 keeps a node server: its God daemon, under a PM2_HOME of the test's
// own, is the supervisor, and `PM2_HOME=DIR pm2 stop shop` (the program's
// name comes from its environment) stops it for good.
func TestPM2(t *testing.T) {
	need(t, "node")
	pm2 := npmBin(t, "pm2")
	dir := t.TempDir()
	home := filepath.Join(dir, "pm2home")
	port := freePort(t)
	pm := func(args ...string) *exec.Cmd {
		c := exec.Command(pm2, args...)
		c.Env = append(os.Environ(), "PM2_HOME="+home, "PORT="+strconv.Itoa(port))
		return c
	}
	t.Cleanup(func() { pm("kill").Run() })
	if out, err := pm("start", server(t, dir), "--name", "shop").CombinedOutput(); err != nil {
		t.Fatalf("pm2 start: %v\n%s", err, out)
	}
	holderOf(t, port, 15*time.Second)
	stop := "PM2_HOME=" + home + " pm2 stop shop"
	checkSupervised(t, port, "pm2", stop)
	sh(t, stop, filepath.Dir(pm2))
	free(t, port, 5*time.Second)
}

// nodemon starts nodemon, in a process group of its own, running the
// test server on a free port, and waits for the port's holder. The group
// is killed when the test ends.
func nodemon(t *testing.T) (mon *exec.Cmd, port int, holder *portolan.Process) {
	t.Helper()
	need(t, "node")
	nm := npmBin(t, "nodemon")
	dir := t.TempDir()
	port = freePort(t)
	mon = exec.Command(nm, "--quiet", "--watch", dir, server(t, dir))
	mon.Dir, mon.Env = dir, append(os.Environ(), "PORT="+strconv.Itoa(port))
	mon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-mon.Process.Pid, syscall.SIGKILL); mon.Wait() })
	return mon, port, holderOf(t, port, 15*time.Second)
}

// nodemon restarts the server it runs when it exits: the holder is the
// node child, and the command that stops it kills nodemon.
func TestNodemon(t *testing.T) {
	mon, port, p := nodemon(t)
	if p.PID == mon.Process.Pid {
		t.Fatalf("nodemon itself holds the port; want its node child")
	}
	h := checkSupervised(t, port, "nodemon", "kill "+strconv.Itoa(mon.Process.Pid)+" (nodemon; or Ctrl-C in its terminal)")
	if h.Orphan {
		t.Errorf("a child of a living nodemon is called an orphan: %+v", h)
	}
	sh(t, "kill "+strconv.Itoa(mon.Process.Pid))
	free(t, port, 5*time.Second)
}

// An orphan: nodemon killed with SIGKILL leaves its node server running,
// reparented to pid 1. ls says "orphan" with no supervisor, and kill
// stops it without --force (nothing will start it again).
func TestOrphanOfAKilledParent(t *testing.T) {
	mon, port, p := nodemon(t)
	mon.Process.Kill()
	mon.Wait()
	var h = ownerOf(t, port)
	for deadline := time.Now().Add(5 * time.Second); (h == nil || !h.Orphan) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h = ownerOf(t, port)
	}
	if h == nil || !h.Orphan || h.Supervisor != nil {
		t.Fatalf("node (pid %d) after its nodemon was killed: holder %+v; want an orphan without a supervisor", p.PID, h)
	}
	table, _, _ := run(t, true, ls.NewCmdLs, strconv.Itoa(port))
	if !strings.Contains(table, "orphan") {
		t.Errorf("ls %d on a terminal:\n%s\nwant the owner called an orphan", port, table)
	}
	out, errOut, code := run(t, false, kill.NewCmdKill, strconv.Itoa(port))
	if code != 0 || !strings.Contains(out, "sent TERM") {
		t.Errorf("kill %d = %q %q exit %d; want the orphan stopped", port, out, errOut, code)
	}
	free(t, port, 5*time.Second)
}

// supervisord, run with a configuration of the test's own (its socket and
// logs in a temp dir, not the system's), keeps a node server; the stop
// command names that configuration and the program.
func TestSupervisord(t *testing.T) {
	node := need(t, "node")
	sd := need(t, "supervisord")
	need(t, "supervisorctl")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "supervisord.conf")
	text := strings.NewReplacer("@DIR@", dir, "@NODE@", node, "@SERVER@", server(t, dir), "@PORT@", strconv.Itoa(port)).Replace(`[supervisord]
nodaemon=true
logfile=@DIR@/supervisord.log
pidfile=@DIR@/supervisord.pid
childlogdir=@DIR@
[unix_http_server]
file=@DIR@/supervisor.sock
[supervisorctl]
serverurl=unix://@DIR@/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:web]
command=@NODE@ @SERVER@
environment=PORT="@PORT@"
autorestart=true
startsecs=0
`)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d := exec.Command(sd, "-c", conf)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Process.Signal(syscall.SIGTERM) // supervisord stops its programs on TERM
		done := make(chan struct{})
		go func() { d.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			d.Process.Kill()
			<-done
		}
	})
	holderOf(t, port, 15*time.Second)
	stop := "supervisorctl -c " + conf + " stop web"
	checkSupervised(t, port, "supervisord", stop)
	sh(t, stop)
	free(t, port, 5*time.Second)
}
