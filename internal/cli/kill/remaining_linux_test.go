package kill

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// leftover listens on a loopback port with one accepted connection held
// open by this process (as a forked child would hold it), with, when
// timeWait, a second connection closed by the server first so its server
// side sits in TIME_WAIT on the port; then the listener moves alone to
// another process (sleep). It returns the port, the open connection's
// client side and the holder; all end with the test.
func leftover(t *testing.T, timeWait bool) (int, net.Conn, *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c1.Close() })
	s1, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s1.Close() })
	if timeWait {
		c2, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		s2.Close()
		c2.SetReadDeadline(time.Now().Add(2 * time.Second))
		c2.Read(make([]byte, 1))
		c2.Close()
	}
	holder := exec.Command("sleep", "30")
	sockhold.HandOff(t, ln, holder)
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	return p, c1, holder
}

// When the listener is gone but an accepted connection (held by another
// process, as a forked child would) and TIME_WAIT entries still use the
// port, kill does not call the port free: it says which sockets remain,
// in what state and held by whom, in text and in --json.
func TestKillSaysWhatRemains(t *testing.T) {
	p, c1, holder := leftover(t, true)
	o := opts(strconv.Itoa(p))
	o.JSON = true
	out, errOut, code := run(t, o)
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || len(res.Ports) != 1 || len(res.Signalled) != 1 {
		t.Fatalf("kill --json: %q %q exit %d (%v)", out, errOut, code, err)
	}
	pr := res.Ports[0]
	if res.Signalled[0].PID != holder.Process.Pid || res.Signalled[0].Signal != "TERM" || pr.State != "closing" {
		t.Fatalf("kill --json = %+v; want TERM to sleep %d and the port closing", res, holder.Process.Pid)
	}
	states := map[portolan.SocketState]Remaining{}
	for _, r := range pr.Remaining {
		states[r.State] = r
	}
	est, tw := states["ESTABLISHED"], states["TIME_WAIT"]
	if est.PID != os.Getpid() || est.Remote != c1.LocalAddr().String() || tw.Local != fmt.Sprintf("127.0.0.1:%d", p) {
		t.Errorf("remaining = %+v; want our ESTABLISHED socket with %s and a TIME_WAIT", pr.Remaining, c1.LocalAddr())
	}
	if strings.Contains(out, "is free") {
		t.Errorf("--json printed text too: %q", out)
	}
}

// The text report names the same remains.
func TestKillTextSaysWhatRemains(t *testing.T) {
	p, c1, _ := leftover(t, false)
	out, errOut, code := run(t, opts(strconv.Itoa(p)))
	want := fmt.Sprintf("port %d is no longer listened on after ", p)
	line := fmt.Sprintf("    tcp 127.0.0.1:%d ESTABLISHED with %s, held by pid %d (", p, c1.LocalAddr(), os.Getpid())
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "1 socket still uses it (a bind without SO_REUSEADDR fails until they are gone):\n") || !strings.Contains(out, line) || strings.Contains(out, "is free") {
		t.Errorf("kill %d: %q %q exit %d; want %q and %q", p, out, errOut, code, want, line)
	}
}
