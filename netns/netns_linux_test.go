package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/nobody"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/sockets"
	"golang.org/x/sys/unix"
)

// The test binary doubles as a socket holder in another namespace
// (sockhold) and, with PORTOLAN_NETNS_READ set, as a reader of namespaces
// run as another user.
func TestMain(m *testing.M) {
	sockhold.Main()
	if spec := os.Getenv("PORTOLAN_NETNS_READ"); spec != "" {
		nss, err := Select(spec)
		if err == nil {
			_, err = Sockets(context.Background(), nss, sockets.Filter{})
		}
		fmt.Println(portolan.ErrorCode(err), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A user without CAP_SYS_ADMIN is told that entering another namespace
// needs root (EFORBIDDEN), not handed a raw errno; nothing is listed.
func TestUnprivilegedIsForbidden(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	prefix := nobody.Setpriv(t)
	cmd := exec.Command(prefix[0], append(prefix[1:], nobody.Exe(t, "netns.test"))...)
	cmd.Env = append(os.Environ(), "PORTOLAN_NETNS_READ=/run/netns/"+ns.Name)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), portolan.EFORBIDDEN+" ") || !strings.Contains(string(out), "needs root") {
		t.Fatalf("unprivileged read of %s: %v %q; want %s naming root", ns.Name, err, out, portolan.EFORBIDDEN)
	}
}

func hostInode(t *testing.T) uint64 {
	ino, err := inodeOf("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return ino
}

func find(socks []portolan.Socket, port uint16) *portolan.Socket {
	for i := range socks {
		if socks[i].Local.Port() == port {
			return &socks[i]
		}
	}
	return nil
}

func TestEveryNamespace(t *testing.T) {
	a := testnet.New(t, testnet.Options{})
	b := testnet.New(t, testnet.Options{})
	// In a: a listener this process holds; in b: another process's.
	var la net.Listener
	if err := a.Do(func() (err error) { la, err = net.Listen("tcp", "127.0.0.1:7411"); return }); err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	child := sockhold.StartIn(t, []string{"ip", "netns", "exec", b.Name}, "", "tcp:127.0.0.1:7412")
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	hostPort := uint16(host.Addr().(*net.TCPAddr).Port)

	all, err := Select("all")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]NS{}
	for _, ns := range all {
		names[ns.Name] = ns
	}
	if !all[0].Host || all[0].Inode != hostInode(t) {
		t.Fatalf("first namespace %+v is not this process's", all[0])
	}
	if _, ok := names[a.Name]; !ok {
		t.Fatalf("Find has no %s: %+v", a.Name, all)
	}
	if nb := names[b.Name]; nb.PID == 0 {
		t.Fatalf("%s has no process: %+v", b.Name, nb)
	}
	socks, err := Sockets(context.Background(), all, sockets.Filter{WithOwners: true})
	if err != nil {
		t.Fatal(err)
	}
	sa, sb, sh := find(socks, 7411), find(socks, 7412), find(socks, hostPort)
	switch {
	case sa == nil || sb == nil || sh == nil:
		t.Fatalf("ls --netns all misses a listener: %d in %s %v, 7412 in %s %v, host %v", 7411, a.Name, sa, b.Name, sb, sh)
	case sa.NetNS.Name != a.Name || sb.NetNS.Name != b.Name || sh.NetNS.Context != "host":
		t.Fatalf("namespaces: %+v %+v %+v", sa.NetNS, sb.NetNS, sh.NetNS)
	case sa.Owner == nil || sa.Owner.PID != os.Getpid():
		t.Fatalf("7411's owner is this test (pid %d), got %+v", os.Getpid(), sa.Owner)
	case sb.Owner == nil || sb.Owner.PID != child.PID:
		t.Fatalf("7412's owner is the child, got %+v", sb.Owner)
	}

	// The host listing alone (sockets.List, as ss) does not see them,
	// and every thread of this program is back in its namespace.
	here, err := sockets.List(context.Background(), sockets.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if find(here, 7411) != nil || find(here, hostPort) == nil {
		t.Fatalf("the host listing after the reads: %v", here)
	}
	checkThreads(t)

	// One namespace: by name, by a pid in it, by its file.
	for _, spec := range []string{b.Name, strconv.Itoa(sb.Owner.PID), "/run/netns/" + b.Name, "/proc/" + strconv.Itoa(sb.Owner.PID) + "/ns/net"} {
		one, err := Select(spec)
		if err != nil {
			t.Fatalf("Select(%q): %v", spec, err)
		}
		if len(one) != 1 || one[0].Inode != names[b.Name].Inode {
			t.Fatalf("Select(%q) = %+v, want %s", spec, one, b.Name)
		}
		got, err := Sockets(context.Background(), one, sockets.Filter{Port: 7412, WithOwners: true})
		if err != nil || len(got) != 1 || got[0].NetNS.Name != b.Name {
			t.Fatalf("--netns %s 7412: %v %+v", spec, err, got)
		}
	}
	checkThreads(t)
}

// checkThreads asks many goroutines, on whatever threads the runtime gives
// them, which network namespace they are in.
func checkThreads(t *testing.T) {
	t.Helper()
	want := hostInode(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st unix.Stat_t
			if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
				errs <- err
			} else if st.Ino != want {
				errs <- fmt.Errorf("a thread is in net:[%d], not net:[%d]", st.Ino, want)
			}
			time.Sleep(time.Millisecond)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSelectBadValues(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("needs root to read namespaces")
	}
	for _, spec := range []string{"", "no-such-ns-xyz", "999999999", "/etc/passwd", "/proc/self/ns/mnt", "..", "0"} {
		_, err := Select(spec)
		var pe *portolan.Error
		if !errors.As(err, &pe) || pe.Code != portolan.EINVALID {
			t.Errorf("Select(%q) = %v, want an EINVALID error", spec, err)
		}
	}
}

func TestGoneNamespace(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("needs root to read namespaces")
	}
	err := Within("/run/netns/no-such-ns-xyz", 0, func() error { return nil })
	if !errors.Is(err, errGone) {
		t.Fatalf("Within a missing file: %v", err)
	}
}
