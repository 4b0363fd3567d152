package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/sqlite"
)

const testToken = "agent-test-token-0123456789"

// server is a real fleet server on a loopback address, restartable on the
// same address.
type server struct {
	t     *testing.T
	store *sqlite.DB
	addr  string
	stop  func()
}

func (s *server) start() {
	s.t.Helper()
	toks := porthttp.NewTokens()
	toks.Add(testToken, "host-a", porthttp.RoleAgent)
	srv := porthttp.NewServer(porthttp.Config{Fleet: s.store, Tokens: toks})
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	s.stop = func() { cancel(); <-done }
}

func listenersOf(t *testing.T, store *sqlite.DB, id string) map[portolan.Port]portolan.FleetListener {
	t.Helper()
	ls, err := store.HostListeners(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[portolan.Port]portolan.FleetListener{}
	for _, l := range ls {
		out[l.Port] = l
	}
	return out
}

// waitFor polls cond every 20 ms up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A real agent against a real server: a listener this test opens shows up
// within two intervals, with this program's identity; closed, it goes away;
// the server stopped and started again on the same address (a partition,
// a restart) loses nothing: what changed while it was away arrives.
func TestAgentReportsAcrossAServerRestart(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := &server{t: t, store: store}
	srv.start()
	t.Cleanup(func() { srv.stop() })

	mid := filepath.Join(dir, "machine-id")
	os.WriteFile(mid, []byte("test-host-a\n"), 0o644)
	t.Setenv("PORTOLAN_TOKEN", testToken)
	ios, _, _, _ := iostreams.Test()
	const iv = 150 * time.Millisecond
	o := &Options{IO: ios, Server: srv.addr, Interval: iv, Resync: time.Hour, MachineIDFile: mid, Name: "a", MaxBackoff: 300 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := portolan.Port(ln.Addr().(*net.TCPAddr).Port)
	exe, _ := os.Executable()
	start := time.Now()
	waitFor(t, 6*iv+time.Second, "the new listener is not confirmed", func() bool { _, ok := listenersOf(t, store, "test-host-a")[port]; return ok })
	t.Logf("listener confirmed after %v (interval %v)", time.Since(start).Round(time.Millisecond), iv)
	l := listenersOf(t, store, "test-host-a")[port]
	if l.Program != exe || l.Reach != portolan.ReachLoopback || l.Addr.String() != "127.0.0.1" {
		t.Errorf("listener %+v, want program %s, loopback", l, exe)
	}

	// The server goes away; meanwhile the listener closes and another opens.
	srv.stop()
	ln.Close()
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	port2 := portolan.Port(ln2.Addr().(*net.TCPAddr).Port)
	time.Sleep(4 * iv) // several failed attempts
	srv.start()
	waitFor(t, 10*iv+2*time.Second, "the changes made while the server was away did not arrive", func() bool {
		ls := listenersOf(t, store, "test-host-a")
		_, old := ls[port]
		_, new := ls[port2]
		return !old && new
	})
	evs, err := store.FleetEvents(context.Background(), "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var up, down int
	for _, e := range evs {
		switch {
		case e.Kind == portolan.EventListenerUp && e.Port == port:
			up++
		case e.Kind == portolan.EventListenerDown && e.Port == port:
			down++
		}
	}
	if up != 1 || down != 1 {
		t.Errorf("port %d: %d up and %d down events, want one each", port, up, down)
	}
}

func TestAgentBadInput(t *testing.T) {
	dir := t.TempDir()
	mid := filepath.Join(dir, "mid")
	os.WriteFile(mid, []byte("ok-id\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not a valid id!\n"), 0o644)
	t.Setenv("PORTOLAN_TOKEN", "x")
	t.Setenv("PORTOLAN_ADDR", "")
	for _, o := range []Options{
		{Interval: time.Second, Resync: time.Minute, MachineIDFile: mid},
		{Server: "ftp://x", Interval: time.Second, Resync: time.Minute, MachineIDFile: mid},
		{Server: "127.0.0.1:1", Interval: time.Millisecond, Resync: time.Minute, MachineIDFile: mid},
		{Server: "127.0.0.1:1", Interval: time.Minute, Resync: time.Second, MachineIDFile: mid},
		{Server: "127.0.0.1:1", Interval: time.Second, Resync: time.Minute, MachineIDFile: bad},
		{Server: "127.0.0.1:1", Interval: time.Second, Resync: time.Minute, MachineIDFile: filepath.Join(dir, "none")},
		{Server: "127.0.0.1:1", Interval: time.Second, Resync: time.Minute, MachineIDFile: mid, Name: "web\t1", Once: true},
		{Server: "127.0.0.1:1", Interval: time.Second, Resync: time.Minute, MachineIDFile: mid, TokenFile: filepath.Join(dir, "no-token"), Once: true},
	} {
		ios, _, _, _ := iostreams.Test()
		o.IO = ios
		err := Run(context.Background(), &o)
		if code := cmdutil.ExitCode(err); err == nil || code != 2 {
			t.Errorf("%+v: %v (exit %d), want exit 2", o, err, code)
		}
	}
}
