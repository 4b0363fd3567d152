// Package leasetest gives tests ports that no other test on the machine is
// given at the same time: Port and Listen lease a port for the test and
// release it when the test ends. With PORTSERVER_ADDRESS set they ask that
// portserver (portolan serve, or Google's); otherwise the test processes
// of one user coordinate through a lease directory only that user owns,
// so parallel `go test` binaries never get the same port.
package leasetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

var (
	once sync.Once
	svc  *lease.Allocator
	serr error
)

// Dir returns the lease directory the helpers use, creating it:
// $PORTOLAN_TEST_LEASES, else portolan/test-leases under $XDG_RUNTIME_DIR
// or the user's cache directory. It refuses a directory that is not a real
// directory owned by this user with mode 0700: in a directory another user
// can write, a planted symlink would turn the helpers' writes against a
// file of the attacker's choice.
func Dir() (string, error) {
	if d := os.Getenv("PORTOLAN_TEST_LEASES"); d != "" {
		return d, ensureDir(d)
	}
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		var err error
		if base, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("no directory for test leases: set PORTOLAN_TEST_LEASES, XDG_RUNTIME_DIR or HOME: %w", err)
		}
	}
	d := filepath.Join(base, "portolan", "test-leases")
	if err := os.MkdirAll(filepath.Dir(d), 0o700); err != nil {
		return "", err
	}
	return d, ensureDir(d)
}

// ensureDir creates d (0700) unless it exists, then checks it with Lstat.
func ensureDir(d string) error {
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("test lease directory %s is a symbolic link: want a directory of your own with mode 0700", d)
	case !fi.IsDir():
		return fmt.Errorf("test lease directory %s is not a directory: want a directory of your own with mode 0700", d)
	case !ownedByMe(fi):
		return fmt.Errorf("test lease directory %s belongs to another user: want a directory of your own with mode 0700", d)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("test lease directory %s has mode %#o: want a directory of your own with mode 0700", d, fi.Mode().Perm())
	}
	return nil
}

// service is the allocator every helper call of this process shares.
func service() (*lease.Allocator, error) {
	once.Do(func() { svc, serr = newService() })
	return svc, serr
}

func newService() (*lease.Allocator, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return lease.New(&dirStore{dir: dir}, lease.Options{Lock: lease.NewFileLock(filepath.Join(dir, "lock"))}), nil
}

// Port leases a free port (TCP and UDP, both families) for the calling test
// and releases it when the test ends. The lease is owned by the test
// process, so it also ends if the process dies.
func Port(tb testing.TB) portolan.Port {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if addr := os.Getenv("PORTSERVER_ADDRESS"); addr != "" {
		p, err := lease.AskPortserver(ctx, addr, os.Getpid())
		if err != nil {
			tb.Fatalf("leasetest.Port: %s", portolan.ErrorMessage(err))
		}
		return p
	}
	a, err := service()
	if err != nil {
		tb.Fatalf("leasetest.Port: %v", err)
	}
	ls, err := a.Grant(ctx, portolan.LeaseRequest{Count: 1, PID: os.Getpid(), Label: "leasetest.Port"})
	if err != nil {
		tb.Fatalf("leasetest.Port: %s", portolan.ErrorMessage(err))
	}
	p := ls[0].Port
	tb.Cleanup(func() { a.Release(context.Background(), p) })
	return p
}

// Listen returns a TCP listener on 127.0.0.1 at a leased port, closed and
// released when the test ends.
func Listen(tb testing.TB) net.Listener {
	tb.Helper()
	var last error
	for range 5 {
		p := Port(tb)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", p.String()))
		if err == nil {
			tb.Cleanup(func() { ln.Close() })
			return ln
		}
		last = err
	}
	tb.Fatalf("leasetest.Listen: %v", last)
	return nil
}
