package holder

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// The test binary doubles as a socket holder (sockhold): under the name
// "systemd" and as pid 1 of a new pid namespace it stands for systemd
// holding a socket-activated port.
func TestMain(m *testing.M) {
	sockhold.Main()
	os.Exit(m.Run())
}

func TestSocketActivatedUnit(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root for a pid namespace")
		}
		t.Skip("needs root for a pid namespace")
	}
	dir := t.TempDir()
	exe, _ := os.Executable()
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sd := filepath.Join(dir, "systemd")
	if err := os.WriteFile(sd, b, 0o755); err != nil {
		t.Fatal(err)
	}
	child := sockhold.StartIn(t, []string{"unshare", "--pid", "--fork"}, sd, "tcp:127.0.0.1:0")
	port := int(child.Ports[0])
	// The listener's host pid: unshare's child, named systemd.
	var pid int
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			n, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err == nil && strings.Contains(string(st), "(systemd) ") && strings.Contains(string(st), ") S "+strconv.Itoa(child.PID)+" ") {
				pid = n
			}
		}
	}
	if pid == 0 {
		t.Fatal("the namespace's init never showed")
	}
	units := t.TempDir()
	os.WriteFile(filepath.Join(units, "shop.socket"), fmt.Appendf(nil, "[Unit]\nDescription=shop\n\n[Socket]\nListenStream=127.0.0.1:%d\nService=shop-api.service\n", port), 0o644)
	os.WriteFile(filepath.Join(units, "other.socket"), []byte("[Socket]\nListenStream=/run/other.sock\nListenDatagram=5353\n"), 0o644)
	sock := portolan.Socket{Proto: portolan.TCP, Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), State: portolan.StateListen,
		Owner: &portolan.Process{PID: pid, Name: "systemd"}}
	socks := []portolan.Socket{sock}
	Annotate(socks, Options{UnitDirs: []string{units}})
	h := socks[0].Owner.Holder
	if h == nil || h.Unit != "shop.socket" || h.Supervisor == nil || h.Supervisor.Stop != "systemctl stop shop.socket shop-api.service" {
		t.Fatalf("holder %+v (supervisor %+v), want the shop.socket unit", h, h.Supervisor)
	}
	// Another port of the same init: no unit claims it.
	other := sock
	other.Local = netip.AddrPortFrom(other.Local.Addr(), uint16(port)+1)
	socks = []portolan.Socket{other}
	Annotate(socks, Options{UnitDirs: []string{units}})
	if h := socks[0].Owner.Holder; h != nil && h.Unit == "shop.socket" {
		t.Errorf("a port no unit lists was given to %s", h.Unit)
	}
}

func TestParseSocketUnit(t *testing.T) {
	u := parseSocketUnit("web.socket", []byte("[Socket]\nListenStream=8080\nListenStream=[::1]:8443\nListenDatagram=0.0.0.0:5353\nListenStream=/run/web.sock\n[Install]\nListenStream=9\n"))
	if u.service != "web.service" || len(u.listen) != 3 || u.listen[0].port != 8080 || u.listen[0].addr.IsValid() ||
		u.listen[1].addr.String() != "::1" || u.listen[2].proto != portolan.UDP || u.listen[2].addr.IsValid() {
		t.Errorf("parsed %+v", u)
	}
}

// A process reparented to a subreaper (tini -s, as container inits run)
// after its group's leader died is an orphan too, not only one that pid 1
// adopted.
func TestOrphanOfASubreaper(t *testing.T) {
	tini, err := exec.LookPath("tini")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs tini (docker.io installs it; scripts/install-deps.sh)")
		}
		t.Skip("needs tini")
	}
	cmd := exec.Command(tini, "-s", "--", "sh", "-c", `setsid sh -c "sleep 60 & echo \$!"; exec sleep 60`)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	t.Cleanup(func() {
		// tini's own child leads a group of its own: kill it by pid.
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		for _, k := range strings.Fields(string(kids)) {
			if n, err := strconv.Atoi(k); err == nil {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Process.Kill()
		cmd.Wait()
	})
	var h portolan.Holder
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if h, err = Of(pid, Options{}); err == nil && h.Orphan {
			break
		}
	}
	if !h.Orphan {
		t.Errorf("sleep %d, adopted by tini after its leader exited: not called an orphan (%+v)", pid, h)
	}
}
