//go:build linux

package testnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

func dial(a netip.Addr, port int, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(a, uint16(port)).String(), timeout)
	if err == nil {
		c.Close()
	}
	return time.Since(start), err
}

func TestVethDropReject(t *testing.T) {
	n := New(t, Options{})
	if _, err := n.Listen(":7001"); err != nil {
		t.Fatal(err)
	}
	if err := n.Drop(7002); err != nil {
		t.Fatal(err)
	}
	if err := n.Reject(7003); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(n.Addr, 7001, time.Second); err != nil {
		t.Errorf("open port: %v", err)
	}
	if _, err := dial(n.Addr, 7002, 300*time.Millisecond); err == nil || !os.IsTimeout(err) {
		t.Errorf("dropped port: %v, want a timeout", err)
	}
	if _, err := dial(n.Addr, 7003, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("rejected port: %v, want refused", err)
	}
	if _, err := dial(n.Addr, 7004, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("closed port: %v, want refused", err)
	}
}

// TestDelay checks the relay's round trip: a connect takes one round
// trip, so 2x the one-way delay, give or take scheduling.
func TestDelay(t *testing.T) {
	n := New(t, Options{Delay: 20 * time.Millisecond})
	if _, err := n.Listen(":7001"); err != nil {
		t.Fatal(err)
	}
	if err := n.Drop(portolan.Port(7002)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		d, err := dial(n.Addr, 7001, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if d < 40*time.Millisecond || d > 80*time.Millisecond {
			t.Errorf("connect took %v, want about 40ms", d)
		}
		d, err = dial(n.Addr, 7005, 2*time.Second)
		if !errors.Is(err, syscall.ECONNREFUSED) || d < 40*time.Millisecond {
			t.Errorf("closed port: %v after %v, want refused after 40ms", err, d)
		}
	}
	if _, err := dial(n.Addr, 7002, 300*time.Millisecond); !os.IsTimeout(err) {
		t.Errorf("dropped port: %v, want a timeout", err)
	}
}

func TestCloseRemovesEverything(t *testing.T) {
	if why := Available(); why != "" {
		t.Skip(why)
	}
	n, err := Create(Options{Delay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/run/netns/" + n.Name); !os.IsNotExist(err) {
		t.Errorf("namespace %s still exists: %v", n.Name, err)
	}
	if _, err := net.InterfaceByName(n.hostIf); err == nil {
		t.Errorf("link %s still exists", n.hostIf)
	}
}
