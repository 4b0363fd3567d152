package wait

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/probeutil"
	"github.com/portolan-dev/portolan/registry"
)

// freePort finds a port free on both loopback families.
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if l6, err := net.Listen("tcp6", net.JoinHostPort("::1", itoa(p))); err == nil {
			l6.Close()
			return p
		}
	}
	t.Fatal("no port free on 127.0.0.1 and ::1")
	return 0
}

func itoa(p int) string { return portolan.Port(p).String() }

// dualLookup answers for "localhost" with both loopback addresses, v6
// first, whatever /etc/hosts says: the case wait-on gets wrong.
func dualLookup(_ context.Context, host string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
}

func opts(targets ...string) (*Options, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	return &Options{IO: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
		Lookup: dualLookup, Local: probeutil.Listening, Targets: targets, Timeout: 5 * time.Second}, ios
}

// listenAfter binds network/addr after d and reports the bind time.
func listenAfter(t *testing.T, network, addr string, d time.Duration) <-chan time.Time {
	bound := make(chan time.Time, 1)
	go func() {
		time.Sleep(d)
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Error(err)
			close(bound)
			return
		}
		bound <- time.Now()
		t.Cleanup(func() { l.Close() })
	}()
	return bound
}

func TestWaitAppearsAfter300ms(t *testing.T) {
	for _, connect := range []bool{false, true} {
		p := freePort(t)
		o, _ := opts("localhost:" + itoa(p))
		o.Connect = connect
		marker := filepath.Join(t.TempDir(), "ran")
		o.Command = []string{"sh", "-c", "touch " + marker + "; exit 7"}
		start := time.Now()
		bound := listenAfter(t, "tcp4", "127.0.0.1:"+itoa(p), 300*time.Millisecond)
		err := Run(context.Background(), o)
		done := time.Now()
		if code := cmdutil.ExitCode(err); code != 7 {
			t.Errorf("connect=%v: exit %d (%v), want the command's 7", connect, code, err)
		}
		if _, err := os.Stat(marker); err != nil {
			t.Errorf("connect=%v: command did not run", connect)
		}
		if b := <-bound; done.Sub(start) < 300*time.Millisecond || b.IsZero() {
			t.Errorf("connect=%v: returned after %v, before the listener", connect, done.Sub(start))
		}
	}
}

// TestWaitLatency: a port opening on loopback is seen within 20 ms
// (median of five, on a shared machine), from the socket table.
func TestWaitLatency(t *testing.T) {
	var lat []time.Duration
	for range 5 {
		p := freePort(t)
		o, _ := opts("127.0.0.1:" + itoa(p))
		bound := listenAfter(t, "tcp4", "127.0.0.1:"+itoa(p), 100*time.Millisecond)
		if err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(<-bound))
	}
	slices.Sort(lat)
	t.Logf("detection latencies %v", lat)
	if lat[2] > 20*time.Millisecond {
		t.Errorf("median detection latency %v, want <= 20ms", lat[2])
	}
}

func TestWaitTimeoutNeverRunsCommand(t *testing.T) {
	p := freePort(t)
	o, _ := opts("localhost:"+itoa(p), "[::1]:"+itoa(p))
	o.Timeout = 300 * time.Millisecond
	marker := filepath.Join(t.TempDir(), "ran")
	o.Command = []string{"touch", marker}
	start := time.Now()
	err := Run(context.Background(), o)
	if code := cmdutil.ExitCode(err); code != 124 {
		t.Errorf("exit %d (%v), want 124", code, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v, want 300ms", d)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Error("the command ran after a timeout")
	}
	if msg := cmdutil.Message(err); msg == "" || !strings.Contains(msg, "localhost:"+itoa(p)) {
		t.Errorf("message %q does not name the target", msg)
	}
}

// TestWaitV6Only: a server on [::1] only is found through a name whose
// addresses include ::1, and through the literal, by watching and by
// connecting.
func TestWaitV6Only(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := itoa(l.Addr().(*net.TCPAddr).Port)
	for _, connect := range []bool{false, true} {
		for _, target := range []string{"localhost:" + p, "[::1]:" + p} {
			o, _ := opts(target)
			o.Connect, o.Timeout = connect, 2*time.Second
			if err := Run(context.Background(), o); err != nil {
				t.Errorf("%s connect=%v: %v", target, connect, err)
			}
		}
	}
	o, _ := opts("127.0.0.1:" + p)
	o.Timeout = 200 * time.Millisecond
	if code := cmdutil.ExitCode(Run(context.Background(), o)); code != 124 {
		t.Errorf("127.0.0.1 with a v6-only server: exit %d, want 124", code)
	}
}

func TestWaitClose(t *testing.T) {
	for _, connect := range []bool{false, true} {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := itoa(l.Addr().(*net.TCPAddr).Port)
		o, _ := opts("127.0.0.1:" + p)
		o.Close, o.Connect = true, connect
		go func() { time.Sleep(200 * time.Millisecond); l.Close() }()
		start := time.Now()
		if err := Run(context.Background(), o); err != nil {
			t.Errorf("connect=%v: %v", connect, err)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("connect=%v: --close returned after %v, while still open", connect, d)
		}
	}
}

func TestWaitBadInput(t *testing.T) {
	for _, target := range []string{"localhost", "::1:80", "host:0", "host:nosuchname"} {
		o, _ := opts(target)
		if code := cmdutil.ExitCode(Run(context.Background(), o)); code != 2 {
			t.Errorf("%q: exit %d, want 2", target, code)
		}
	}
}
