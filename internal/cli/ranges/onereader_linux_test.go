package ranges

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/registry"
)

// TestOneReaderWithoutProcFiles: where /proc/sys/net/ipv4 is empty (a
// container without it), `ranges`, the query and API (registry.Host) and
// the allocator (lease.HostRanges) all give Linux's documented defaults,
// marked as such. They used to differ: the allocator took 49152-65535 and
// so handed out ports inside the real ephemeral range 32768-60999. The
// check runs in a child process with an empty tmpfs mounted over
// /proc/sys/net/ipv4 in a private mount namespace; needs root and
// unshare(1).
func TestOneReaderWithoutProcFiles(t *testing.T) {
	if os.Getenv("PORTOLAN_RANGES_CHILD") == "1" {
		want := portolan.DefaultHostRanges("linux")
		if _, err := os.Stat("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
			t.Fatal("the kernel's file is still visible")
		}
		h, err := (&cmdutil.Factory{}).HostRanges()
		if err != nil || !h.Defaults || h.Ephemeral != want.Ephemeral || h.Source != want.Source {
			t.Errorf("query/ranges: %+v %v, want %+v", h, err, want)
		}
		if r, err := registry.Host(); err != nil || r.Ephemeral != want.Ephemeral || !r.Defaults {
			t.Errorf("registry.Host (the API): %+v %v", r, err)
		}
		if eph, res := lease.HostRanges(); eph != want.Ephemeral || len(res) != 0 {
			t.Errorf("allocator: ephemeral %v reserved %v, want %v", eph, res, want.Ephemeral)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount over /proc/sys/net/ipv4 in a private mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	script := `mount -t tmpfs none /proc/sys/net/ipv4 && exec "$0" -test.run='^TestOneReaderWithoutProcFiles$' -test.v`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), "PORTOLAN_RANGES_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child without /proc/sys/net/ipv4: %v\n%s", err, out)
	}
}
