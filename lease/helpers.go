package lease

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
)

// TB is the part of testing.TB the helpers use (so this package does not
// import testing into every binary).
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

var (
	helperOnce sync.Once
	helperSvc  *Allocator
	helperErr  error
)

// helperDir is where the helpers of every test process on this machine
// keep their leases: $PORTOLAN_TEST_LEASES, else a per-user directory
// under the temporary directory.
func helperDir() string {
	if d := os.Getenv("PORTOLAN_TEST_LEASES"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "portolan-leases-"+strconv.Itoa(os.Getuid()))
}

func helperService() (*Allocator, error) {
	helperOnce.Do(func() {
		dir := helperDir()
		st, err := NewDirStore(dir)
		if err != nil {
			helperErr = err
			return
		}
		helperSvc = New(st, Options{Lock: NewFileLock(filepath.Join(dir, "lock"))})
	})
	return helperSvc, helperErr
}

// Port leases a free port (TCP and UDP, both families) for the calling test
// and releases it when the test ends. The lease is owned by the test
// process, so it also ends if the process dies. With PORTSERVER_ADDRESS set
// it asks that portserver (portolan serve, or Google's); otherwise test
// processes on this machine coordinate through a lease directory, so
// parallel `go test` binaries never get the same port.
func Port(t TB) portolan.Port {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if addr := os.Getenv("PORTSERVER_ADDRESS"); addr != "" {
		p, err := AskPortserver(ctx, addr, os.Getpid())
		if err != nil {
			t.Fatalf("lease.Port: %s", portolan.ErrorMessage(err))
		}
		return p
	}
	svc, err := helperService()
	if err != nil {
		t.Fatalf("lease.Port: %v", err)
	}
	ls, err := svc.Grant(ctx, portolan.LeaseRequest{Count: 1, PID: os.Getpid(), Label: "lease.Port"})
	if err != nil {
		t.Fatalf("lease.Port: %s", portolan.ErrorMessage(err))
	}
	p := ls[0].Port
	t.Cleanup(func() { svc.Release(context.Background(), p) })
	return p
}

// Listen returns a TCP listener on 127.0.0.1 at a leased port, closed and
// released when the test ends.
func Listen(t TB) net.Listener {
	t.Helper()
	var last error
	for range 5 {
		p := Port(t)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", p.String()))
		if err == nil {
			t.Cleanup(func() { ln.Close() })
			return ln
		}
		last = err
	}
	t.Fatalf("lease.Listen: %v", last)
	return nil
}
