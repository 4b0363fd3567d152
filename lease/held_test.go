package lease_test

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

// The cache's ages run on synctest's clock: no real waiting.
func TestCachedHeld(t *testing.T) { synctest.Test(t, testCachedHeld) }

func testCachedHeld(t *testing.T) {
	var calls atomic.Int32
	var socks atomic.Value
	socks.Store([]portolan.Socket{
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:30001"), State: "ESTABLISHED"},
		{Proto: portolan.UDP, Local: netip.MustParseAddrPort("[::]:30002"), State: "UNCONN"},
	})
	held := lease.CachedHeld(func(context.Context) ([]portolan.Socket, error) {
		calls.Add(1)
		return socks.Load().([]portolan.Socket), nil
	}, 50*time.Millisecond)
	ctx := context.Background()
	check := func(p portolan.Port, proto portolan.Proto, want bool) {
		t.Helper()
		if got, err := held(ctx, p, proto); err != nil || got != want {
			t.Errorf("held(%d, %v) = %v, %v; want %v", p, proto, got, err, want)
		}
	}
	check(30001, portolan.ProtoAny, true)
	check(30001, portolan.TCP, true)
	check(30001, portolan.UDP, false)
	check(30002, portolan.UDP, true)
	check(30003, portolan.ProtoAny, false)
	if n := calls.Load(); n != 1 {
		t.Errorf("%d listings for 5 checks within maxAge, want 1", n)
	}
	socks.Store([]portolan.Socket{{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:30003"), State: "LISTEN"}})
	time.Sleep(40 * time.Millisecond)
	check(30003, portolan.TCP, false) // within maxAge: the old listing
	if n := calls.Load(); n != 1 {
		t.Errorf("%d listings within maxAge, want 1", n)
	}
	time.Sleep(20 * time.Millisecond)
	check(30003, portolan.TCP, false) // stale: answers from the old listing, refreshes behind
	synctest.Wait()
	check(30003, portolan.TCP, true)
	check(30001, portolan.TCP, false)

	failing := lease.CachedHeld(func(context.Context) ([]portolan.Socket, error) { return nil, errors.New("no netlink") }, time.Second)
	if _, err := failing(ctx, 1, portolan.TCP); err == nil {
		t.Error("a failed listing answered as if nothing were held")
	}
}
