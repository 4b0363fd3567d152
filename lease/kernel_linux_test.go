package lease_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The reserver's bookkeeping, on a plain file shaped like the sysctl.
func TestKernelReserverFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ip_local_reserved_ports")
	os.WriteFile(path, []byte("8000,9000-9001\n"), 0o600)
	k, err := lease.NewKernelReserver(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Add([]portolan.Port{9000, 30000, 30001}); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, path); got != "8000,9000-9001,30000-30001" {
		t.Errorf("after Add: %q", got)
	}
	// Someone else reserves 40000 meanwhile; 9000 was never ours to remove.
	os.WriteFile(path, []byte(readTrim(t, path)+",40000\n"), 0o600)
	if _, err := k.Remove([]portolan.Port{30000, 9000}); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, path); got != "8000,9000-9001,30001,40000" {
		t.Errorf("after Remove: %q", got)
	}
	os.WriteFile(path, []byte("8000,9000-9001,30001\n"), 0o600)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, path); got != k.Original() || got != "8000,9000-9001" {
		t.Errorf("after Close: %q, want the original %q", got, k.Original())
	}
}

// The real sysctl, in a network namespace of our own (root): a leased port
// is reserved while leased, released on release, and Close restores the
// file exactly.
func TestKernelReserverNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and write ip_local_reserved_ports")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// This thread alone moves to the new namespace and dies with the goroutine.
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			t.Errorf("unshare(CLONE_NEWNET): %v", err)
			return
		}
		const sysctl = lease.ReservedPortsFile
		if err := os.WriteFile(sysctl, []byte("5000,6000-6002\n"), 0); err != nil {
			t.Errorf("seeding the namespace's reserved ports: %v", err)
			return
		}
		k, err := lease.NewKernelReserver("")
		if err != nil {
			t.Error(err)
			return
		}
		store, _ := openStore(t)
		a := lease.New(store, lease.Options{Host: lease.HostRanges, Reserver: k, Bindable: func(portolan.Port, portolan.Proto) bool { return true }})
		ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Count: 2, Pool: "5999-6003"})
		if err != nil {
			t.Error(err)
			return
		}
		// 6000-6002 are reserved already, so the pool leaves 5999 and 6003.
		if got := readTrim(t, sysctl); got != "5000,5999-6003" {
			t.Errorf("reserved while leased: %q, want 5000,5999-6003", got)
		}
		if err := a.Release(ctxT(t), ls[0].Port); err != nil {
			t.Error(err)
		}
		want := map[portolan.Port]string{5999: "5000,5999-6002", 6003: "5000,6000-6003"}[ls[1].Port]
		if got := readTrim(t, sysctl); got != want {
			t.Errorf("after releasing %d: %q, want %q", ls[0].Port, got, want)
		}
		if err := a.Close(); err != nil {
			t.Error(err)
		}
		if got := readTrim(t, sysctl); got != "5000,6000-6002" {
			t.Errorf("after shutdown: %q, want exactly the original 5000,6000-6002", got)
		}
	}()
	<-done
}

// --reserve-kernel across a SIGKILL, in a network namespace of our own:
// the restarted daemon removes the reservations of leases that ended while
// it was down (they would leak forever) and keeps the live ones; after a
// clean stop, which gives every reservation back, a restart reserves the
// live leases' ports again.
func TestKernelReservationsSurviveCrash(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and write ip_local_reserved_ports")
	}
	ns := fmt.Sprintf("portolan-test-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := []string{"ip", "netns", "exec", ns}
	sysctl := func() string {
		t.Helper()
		out, err := exec.Command("ip", "netns", "exec", ns, "cat", lease.ReservedPortsFile).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("ip", "netns", "exec", ns, "sh", "-c", "echo 5000 > "+lease.ReservedPortsFile).CombinedOutput(); err != nil {
		t.Fatalf("seeding the namespace's reserved ports: %v: %s", err, out)
	}
	dir := t.TempDir()
	db, addr := filepath.Join(dir, "portolan.db"), "unix:"+filepath.Join(dir, "ps.sock")

	daemon := startDaemonIn(t, in, db, addr, lease.ReservedPortsFile)
	keep := exec.Command("sleep", "60")
	gone := exec.Command("sleep", "60")
	for _, c := range []*exec.Cmd{keep, gone} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	live, err := lease.AskPortserver(ctxT(t), addr, keep.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	ended, err := lease.AskPortserver(ctxT(t), addr, gone.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	both := lease.FormatReserved([]portolan.Port{5000, live, ended})
	if got := sysctl(); got != both {
		t.Fatalf("reserved while leased: %q, want %q", got, both)
	}

	daemon.Process.Kill() // SIGKILL: no Close, the reservations stay
	daemon.Wait()
	gone.Process.Kill()
	gone.Wait()
	daemon = startDaemonIn(t, in, db, addr, lease.ReservedPortsFile)
	want := lease.FormatReserved([]portolan.Port{5000, live})
	if got := sysctl(); got != want {
		t.Fatalf("after SIGKILL and restart: %q, want %q (the ended lease's port freed, the live one kept)", got, want)
	}

	daemon.Process.Signal(syscall.SIGTERM)
	daemon.Wait()
	if got := sysctl(); got != "5000" {
		t.Fatalf("after a clean stop: %q, want the original 5000", got)
	}
	startDaemonIn(t, in, db, addr, lease.ReservedPortsFile)
	if got := sysctl(); got != want {
		t.Fatalf("after a restart: %q, want %q (the live lease reserved again)", got, want)
	}
}
