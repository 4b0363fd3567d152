package lease_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/sqlite"
)

// TestMain doubles as a tiny lease daemon (SQLite store, allocator,
// portserver socket) when the crash test re-executes this binary, so the
// test can SIGKILL a real process in the middle of a load.
func TestMain(m *testing.M) {
	if db := os.Getenv("PORTOLAN_LEASE_TESTDAEMON_DB"); db != "" {
		os.Exit(testDaemon(db, os.Getenv("PORTOLAN_LEASE_TESTDAEMON_ADDR"), os.Getenv("PORTOLAN_LEASE_TESTDAEMON_RESERVED")))
	}
	if addr := os.Getenv("PORTOLAN_LEASE_TESTCLIENT_ADDR"); addr != "" {
		os.Exit(testClient(addr, os.Getenv("PORTOLAN_LEASE_TESTCLIENT_PIDS")))
	}
	os.Exit(pgtest.Main(m))
}

// testClient asks the portserver at addr for a port for each of pids
// ("self" is this process) and prints one line per request: the port, or
// "refused".
func testClient(addr, pids string) int {
	for _, f := range strings.Split(pids, ",") {
		pid := os.Getpid()
		if f != "self" {
			pid, _ = strconv.Atoi(f)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := lease.AskPortserver(ctx, addr, pid)
		cancel()
		switch {
		case err == nil:
			fmt.Println(p)
		case portolan.ErrorCode(err) == portolan.ECONFLICT:
			fmt.Println("refused")
		default:
			fmt.Println("error:", err)
		}
	}
	return 0
}

// testDaemon serves the portserver over the SQLite store at path until
// SIGTERM; with reserved set, leased ports are reserved in that file.
func testDaemon(path, addr, reserved string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	store, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	opts := lease.Options{Host: fakeHost}
	if reserved != "" {
		k, err := lease.NewKernelReserver(reserved)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		opts.Reserver = k
	}
	a := lease.New(store, opts)
	defer a.Close()
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
