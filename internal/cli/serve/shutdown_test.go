package serve_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/internal/testutil/syncbuf"
	"github.com/portolan-dev/portolan/registry"
)

// slowStore holds CreateAssignment until release is closed, and records
// whether Close came before the write returned.
type slowStore struct {
	portolan.Store
	entered     chan struct{}
	release     chan struct{}
	written     atomic.Bool
	closed      atomic.Bool
	closedEarly atomic.Bool
}

func (s *slowStore) CreateAssignment(ctx context.Context, a *portolan.Assignment) error {
	close(s.entered)
	<-s.release
	err := s.Store.CreateAssignment(ctx, a)
	s.written.Store(true)
	return err
}

func (s *slowStore) Close() error {
	s.closed.Store(true)
	if !s.written.Load() {
		s.closedEarly.Store(true)
	}
	return s.Store.Close()
}

// Told to stop while a write is under way, serve lets the write finish and
// answer, and closes the store only after it returned; Run returns last.
func TestServeWaitsForWritesBeforeClosingTheStore(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ss := &slowStore{entered: make(chan struct{}), release: make(chan struct{})}
	ios, _, _, _ := iostreams.Test()
	const token = "admin-token-0123456789"
	ready := make(chan string, 1)
	o := &serve.Options{IO: ios, Registry: registry.Default, StateDir: factory.StateDir,
		OpenStore: func(string) (portolan.Store, error) {
			st, err := factory.OpenStore("sqlite:" + filepath.Join(t.TempDir(), "p.db"))
			ss.Store = st
			return ss, err
		},
		Listen: "127.0.0.1:0", AdminTokens: []string{token}, ReclaimEvery: 10 * time.Millisecond,
		Ready: func(u string) { ready <- u }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, o) }()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve did not start: %v", err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := porthttp.NewClient(url, token).Assign(context.Background(), &portolan.Assignment{Port: 8123, Proto: portolan.TCP, Name: "billing"}, false)
		wrote <- err
	}()
	select {
	case <-ss.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the write never reached the store")
	}
	cancel() // SIGTERM while the write runs
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a write was still running", err)
	case <-time.After(300 * time.Millisecond):
	}
	if ss.closed.Load() {
		t.Fatal("the store was closed while a write was still running")
	}
	close(ss.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after the write finished")
	}
	if err := <-wrote; err != nil {
		t.Errorf("the write under way at shutdown failed: %v; want it finished and answered", err)
	}
	if !ss.closed.Load() || ss.closedEarly.Load() {
		t.Errorf("store closed %v, before the write returned %v; want closed, after", ss.closed.Load(), ss.closedEarly.Load())
	}
}

// failingStore fails Leases while failing is set.
type failingStore struct {
	portolan.Store
	failing atomic.Bool
}

func (s *failingStore) Leases(ctx context.Context) ([]portolan.Lease, error) {
	if s.failing.Load() {
		return nil, errors.New("database is gone")
	}
	return s.Store.Leases(ctx)
}

// A failing reclaim sweep is logged once when it starts failing, not at
// every tick, and the recovery once.
func TestServeLogsReclaimErrors(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	fs := &failingStore{}
	ios, _, _, _ := iostreams.Test()
	errOut := &syncbuf.Buffer{}
	ios.ErrOut = errOut
	ready := make(chan string, 1)
	o := &serve.Options{IO: ios, Registry: registry.Default, StateDir: factory.StateDir,
		OpenStore: func(string) (portolan.Store, error) {
			st, err := factory.OpenStore("sqlite:" + filepath.Join(t.TempDir(), "p.db"))
			fs.Store = st
			return fs, err
		},
		Listen: "127.0.0.1:0", ReclaimEvery: 10 * time.Millisecond, Ready: func(u string) { ready <- u }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, o) }()
	<-ready
	fs.failing.Store(true)
	time.Sleep(300 * time.Millisecond) // ~30 failed sweeps
	fs.failing.Store(false)
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	log := errOut.String()
	if n := strings.Count(log, "reclaiming leases failed"); n != 1 || !strings.Contains(log, "database is gone") {
		t.Errorf("log has %d failure lines; want 1 naming the error:\n%s", n, log)
	}
	if n := strings.Count(log, "reclaiming leases works again"); n != 1 {
		t.Errorf("log has %d recovery lines; want 1:\n%s", n, log)
	}
}
