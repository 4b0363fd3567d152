package lease_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sqlite"
)

// TestMain doubles as a tiny lease daemon (SQLite store, allocator,
// portserver socket) when the crash test re-executes this binary, so the
// test can SIGKILL a real process in the middle of a load.
func TestMain(m *testing.M) {
	if db := os.Getenv("PORTOLAN_LEASE_TESTDAEMON_DB"); db != "" {
		os.Exit(testDaemon(db, os.Getenv("PORTOLAN_LEASE_TESTDAEMON_ADDR")))
	}
	os.Exit(m.Run())
}

func testDaemon(path, addr string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	store, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	a := lease.New(store, lease.Options{Host: fakeHost})
	if _, err := a.Reclaim(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := lease.ListenUnix(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	if err := lease.ServePortserver(ctx, ln, a); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
