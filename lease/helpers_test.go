package lease_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
)

func portolanPID() int { return os.Getpid() }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens a fresh SQLite store in a temporary directory.
func openStore(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// fakeHost is a host with the Linux default ephemeral range and nothing reserved.
func fakeHost() (portolan.Range, []portolan.Range) {
	return portolan.Range{Lo: 32768, Hi: 60999}, nil
}

// ledger records who holds each port, failing on a second holder.
type ledger struct {
	mu     sync.Mutex
	holder map[portolan.Port]int
	dups   []portolan.Port
}

func newLedger() *ledger { return &ledger{holder: map[portolan.Port]int{}} }

func (l *ledger) take(p portolan.Port, who int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.holder[p]; ok {
		l.dups = append(l.dups, p)
	}
	l.holder[p] = who
}

func (l *ledger) give(p portolan.Port) {
	l.mu.Lock()
	delete(l.holder, p)
	l.mu.Unlock()
}

func openAt(path string) (*sqlite.DB, error) { return sqlite.Open(path) }

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

// clock is an injected clock that moves only when the test says.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
