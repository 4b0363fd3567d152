package kill

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// A holder under a supervisor that restarts it (here a parent calling
// itself supervisord) is not signalled without --force: the message names
// the supervisor and how to stop it. With --force it is.
func TestKillLeavesASupervisedHolder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portolan.Port(ln.Addr().(*net.TCPAddr).Port)
	// The supervisor hands the listening socket (fd 3) to its child and
	// closes its own copy, as a supervisor with a socket would.
	sup := exec.Command("bash", "-c", `exec -a supervisord bash -c "sleep 60 & exec 3<&-; wait"`)
	sockhold.HandOff(t, ln, sup)
	t.Cleanup(func() { sup.Process.Kill(); sup.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for !listeningOwnedBy(t, p, sup.Process.Pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out, errOut, code := run(t, opts(port(p)))
	if code != 1 || !strings.Contains(errOut, "runs under supervisord (pid ") || !strings.Contains(errOut, "supervisorctl ") || !strings.Contains(errOut, " stop NAME") || strings.Contains(out, "sent TERM") {
		t.Fatalf("kill %d: %q %q exit %d; want a refusal naming supervisord", p, out, errOut, code)
	}
	o := opts(port(p))
	o.Force = true
	out, errOut, code = run(t, o)
	if code != 0 || !strings.Contains(out, "sent TERM") {
		t.Errorf("kill --force %d: %q %q exit %d; want TERM sent", p, out, errOut, code)
	}
}

// listeningOwnedBy: a listener on p held by a child of parent.
func listeningOwnedBy(t *testing.T, p portolan.Port, parent int) bool {
	ok := listeningOn(t, p, portolan.TCP)
	if !ok {
		return false
	}
	b, _ := os.ReadFile("/proc/" + port(portolan.Port(parent)) + "/task/" + port(portolan.Port(parent)) + "/children")
	return len(strings.Fields(string(b))) > 0
}
