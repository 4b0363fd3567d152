package lease_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sqlite"
)

func startDaemon(t *testing.T, db, addr string) *exec.Cmd {
	t.Helper()
	return startDaemonIn(t, nil, db, addr, "")
}

// startDaemonIn starts this binary as a lease daemon, under the command
// prefix (such as ip netns exec NAME) when there is one, reserving leased
// ports in the reserved file when it is set.
func startDaemonIn(t *testing.T, prefix []string, db, addr, reserved string) *exec.Cmd {
	t.Helper()
	argv := append(append([]string{}, prefix...), os.Args[0], "-test.run=^$")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PORTOLAN_LEASE_TESTDAEMON_DB="+db, "PORTOLAN_LEASE_TESTDAEMON_ADDR="+addr,
		"PORTOLAN_LEASE_TESTDAEMON_RESERVED="+reserved)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("daemon said %q, want ready", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not start within 30s")
	}
	return cmd
}

// The daemon is SIGKILLed in the middle of a load and restarted: every port
// a client was answered is still leased, and none was answered twice.
func TestDaemonKilledMidLoad(t *testing.T) {
	db := t.TempDir() + "/portolan.db"
	addr := fmt.Sprintf("@portolan-crash-%d-%d", os.Getpid(), time.Now().UnixNano())
	daemon := startDaemon(t, db, addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var granted []portolan.Port
	var failed int
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000 && ctx.Err() == nil; i++ {
				c, cc := context.WithTimeout(ctx, 5*time.Second)
				p, err := lease.AskPortserver(c, addr, os.Getpid())
				cc()
				mu.Lock()
				if err == nil {
					granted = append(granted, p)
				} else {
					failed++
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(2 * time.Millisecond) // the daemon is down: retry shortly
				}
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(granted) }
	waitFor := func(n int) {
		deadline := time.Now().Add(30 * time.Second)
		for count() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(300)
	daemon.Process.Kill() // SIGKILL: no shutdown, no flush
	daemon.Wait()
	before := count()
	startDaemon(t, db, addr)
	waitFor(before + 300)
	cancel()
	wg.Wait()
	if before < 300 || len(granted) < before+300 {
		t.Fatalf("load too small to mean anything: %d grants before the kill, %d in all", before, len(granted))
	}
	seen := map[portolan.Port]bool{}
	for _, p := range granted {
		if seen[p] {
			t.Fatalf("port %d was granted twice across the crash", p)
		}
		seen[p] = true
	}
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ls, err := store.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stored := map[portolan.Port]bool{}
	for _, l := range ls {
		if l.PID == os.Getpid() {
			stored[l.Port] = true
		}
	}
	for _, p := range granted {
		if !stored[p] {
			t.Fatalf("port %d was answered to a client but is not leased after the restart", p)
		}
	}
	t.Logf("%d grants (%d before SIGKILL), %d requests failed while the daemon was down, all %d leases kept", len(granted), before, failed, len(stored))
}
