package lease_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

// nobody is the uid of the other local user the peer tests act as.
const nobody = 65534

// asNobody returns a copy of this test binary that uid 65534 may run (go
// test builds into a directory only we can enter).
func asNobody(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child as another user")
	}
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "lease.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

func nobodyCmd(bin string, args ...string) *exec.Cmd {
	c := exec.Command(bin, args...)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	c.Dir = "/"
	return c
}

// A local user may lease ports only for its own processes: not for a
// kernel thread (which never exits), not for root's processes; and only up
// to its quota, while other users still get ports.
func TestPortserverPeerRules(t *testing.T) {
	bin := asNobody(t)
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost, MaxPerUser: 4})
	addr := servePortserver(t, a)

	sibling := nobodyCmd("sleep", "60")
	if err := sibling.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sibling.Process.Kill(); sibling.Wait() })
	root := os.Getpid()
	reqs := []string{"2", strconv.Itoa(root), "1", strconv.Itoa(sibling.Process.Pid), "self", "self", "self", "self"}
	want := []bool{false, false, false, true, true, true, true, false}

	child := nobodyCmd(bin, "-test.run=^$")
	child.Env = append(os.Environ(), "PORTOLAN_LEASE_TESTCLIENT_ADDR="+addr, "PORTOLAN_LEASE_TESTCLIENT_PIDS="+strings.Join(reqs, ","))
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, os.Stderr
	if err := child.Run(); err != nil {
		t.Fatalf("client as uid %d: %v\n%s", nobody, err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("client printed %q, want %d answers", out.String(), len(reqs))
	}
	for i, l := range lines {
		granted := l != "refused"
		if strings.HasPrefix(l, "error") || granted != want[i] {
			t.Errorf("uid %d naming pid %s (request %d): %s, want granted=%v", nobody, reqs[i], i+1, l, want[i])
		}
	}
	// Root names anyone but a kernel thread, and is not bound by the
	// other user's quota.
	if p, err := lease.AskPortserver(ctxT(t), addr, sibling.Process.Pid); err != nil || p == 0 {
		t.Errorf("root naming uid %d's process: %d, %v; want a port", nobody, p, err)
	}
	if _, err := lease.AskPortserver(ctxT(t), addr, 2); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Errorf("root naming kthreadd (pid 2): %v, want a refusal", err)
	}
	ls, err := store.Leases(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	byNobody := 0
	for _, l := range ls {
		if l.CreatedBy == fmt.Sprintf("uid %d", nobody) {
			byNobody++
		}
		if l.PID == 2 || l.PID == root && l.CreatedBy != "uid 0" {
			t.Errorf("lease %+v names a process its asker may not name", l)
		}
	}
	if byNobody != 4 {
		t.Errorf("uid %d holds %d leases, want its quota of 4", nobody, byNobody)
	}
}

// MayName's rules, directly: itself, a child, same uid, never a kernel
// thread, never another user's process.
func TestMayName(t *testing.T) {
	self := portolan.Peer{UID: uint32(os.Getuid()), PID: os.Getpid()}
	if err := lease.MayName(self, os.Getpid()); err != nil {
		t.Errorf("naming itself: %v", err)
	}
	if err := lease.MayName(portolan.Peer{UID: 0, PID: 1}, 2); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Errorf("root naming kthreadd: %v, want EFORBIDDEN", err)
	}
	if os.Geteuid() != 0 {
		return
	}
	child := nobodyCmd("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	// Another user naming our (root's) process: refused.
	if err := lease.MayName(portolan.Peer{UID: 1234, PID: 999999}, os.Getpid()); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Errorf("uid 1234 naming root's process: %v, want EFORBIDDEN", err)
	}
	// A user naming a process it started that runs as someone else: its
	// ancestor may.
	if err := lease.MayName(portolan.Peer{UID: 1234, PID: os.Getpid()}, child.Process.Pid); err != nil {
		t.Errorf("the parent naming its child: %v", err)
	}
	if err := lease.MayName(portolan.Peer{UID: nobody, PID: 999999}, child.Process.Pid); err != nil {
		t.Errorf("uid %d naming its own process: %v", nobody, err)
	}
}

// The per-user bound holds across a restart: the count comes from the
// store, not from this process's memory, and ends as leases end.
func TestUserQuotaSurvivesRestart(t *testing.T) {
	store, _ := openStore(t)
	opts := lease.Options{Host: fakeHost, MaxPerUser: 3,
		MayName: func(portolan.Peer, int) error { return nil }}
	peer := &portolan.Peer{UID: 4242, PID: os.Getpid()}
	req := portolan.LeaseRequest{PID: os.Getpid(), Peer: peer}
	a := lease.New(store, opts)
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{PID: os.Getpid(), Peer: peer, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Grant(ctxT(t), req); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Fatalf("a fourth lease for a user bound to 3: %v, want EFORBIDDEN", err)
	}
	b := lease.New(store, opts) // the restarted daemon
	if _, err := b.Grant(ctxT(t), req); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Fatalf("after a restart, a fourth lease: %v, want EFORBIDDEN", err)
	}
	if _, err := b.Grant(ctxT(t), portolan.LeaseRequest{PID: os.Getpid(), Peer: &portolan.Peer{UID: 4343, PID: os.Getpid()}}); err != nil {
		t.Errorf("another user, same moment: %v", err)
	}
	if err := b.Release(ctxT(t), ls[0].Port); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Grant(ctxT(t), req); err != nil {
		t.Errorf("after one of the user's leases ended: %v", err)
	}
}
