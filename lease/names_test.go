package lease_test

import (
	"net"
	"sync"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func nameKey(wt, name string) portolan.NameKey {
	return portolan.NameKey{Project: "/src/shop", Worktree: wt, Name: name}
}

// A name keeps its port across calls and allocators; two worktrees' names
// differ; leases never get a named port; a forgotten name frees its port.
func TestPortForIsStable(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
	web, created, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "web")})
	if err != nil || !created || web.Port == 0 || (web.Port >= 32768 && web.Port <= 60999) {
		t.Fatalf("first PortFor = %+v, %v, %v; want a new port outside the ephemeral range", web, created, err)
	}
	b := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
	again, created, err := b.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "web")})
	if err != nil || created || again.Port != web.Port {
		t.Fatalf("second PortFor = %+v, %v, %v; want %d again", again, created, err, web.Port)
	}
	feat, _, err := b.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop-feat", "web")})
	if err != nil || feat.Port == web.Port {
		t.Fatalf("the other worktree's web = %+v, %v; want a port of its own", feat, err)
	}
	ls, err := a.Grant(ctxT(t), portolan.LeaseRequest{Count: 50, Pool: web.Port.String() + "-" + (web.Port + 60).String()})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Port == web.Port || l.Port == feat.Port {
			t.Errorf("lease on named port %d", l.Port)
		}
	}
	if err := a.Forget(ctxT(t), nameKey("/src/shop", "web")); err != nil {
		t.Fatal(err)
	}
	if err := a.Forget(ctxT(t), nameKey("/src/shop", "web")); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Errorf("forgetting twice: %v, want ENOTFOUND", err)
	}
	if _, _, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "bad name")}); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("a bad name: %v, want EINVALID", err)
	}
}

// --prefer takes the port when it qualifies, and otherwise one near it:
// not when a listener holds it, nor inside the ephemeral range.
func TestPortForPrefer(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := portolan.Port(ln.Addr().(*net.TCPAddr).Port)
	free := portolan.Port(20517)
	for _, c := range []struct {
		name   string
		prefer portolan.Port
		taken  bool
	}{{"free", free, true}, {"iana-assigned", 3000, true}, {"held", held, false}, {"ephemeral", 40000, false}} {
		np, _, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", c.name), Prefer: c.prefer})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (np.Port == c.prefer) != c.taken {
			t.Errorf("prefer %d (%s) gave %d; want it taken: %v", c.prefer, c.name, np.Port, c.taken)
		}
		if np.Port >= 32768 && np.Port <= 60999 {
			t.Errorf("prefer %d (%s) gave %d, inside the ephemeral range", c.prefer, c.name, np.Port)
		}
	}
}

// Sixteen allocators (as sixteen processes would) asking for the same
// fifty new names at once agree on one port per name, and no two names
// share a port.
func TestPortForConcurrentFirstCalls(t *testing.T) {
	store, _ := openStore(t)
	const clients, names = 16, 50
	got := make([][]portolan.Port, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			a := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
			for n := range names {
				np, _, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "svc-"+portolan.Port(n).String())})
				if err != nil {
					t.Errorf("client %d name %d: %v", c, n, err)
					return
				}
				got[c] = append(got[c], np.Port)
			}
		})
	}
	wg.Wait()
	seen := map[portolan.Port]int{}
	for n := range names {
		p := got[0][n]
		for c := 1; c < clients; c++ {
			if got[c][n] != p {
				t.Fatalf("name %d: client 0 got %d, client %d got %d", n, p, c, got[c][n])
			}
		}
		if prev, dup := seen[p]; dup {
			t.Fatalf("names %d and %d share port %d", prev, n, p)
		}
		seen[p] = n
	}
}

// Leases, free ports and names skip traps (6000: browsers refuse it;
// 5000: macOS's AirPlay Receiver) unless the request allows them.
func TestTrapsSkippedUnlessAllowed(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
	req := portolan.LeaseRequest{Count: 1, Pool: "6000-6000", Assigned: true}
	if _, err := a.Grant(ctxT(t), req); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Errorf("lease in 6000-6000: %v, want the pool exhausted (6000 is a trap)", err)
	}
	req.Unsafe = true
	if ls, err := a.Grant(ctxT(t), req); err != nil || ls[0].Port != 6000 {
		t.Errorf("lease in 6000-6000 with Unsafe: %v, %v; want 6000", ls, err)
	}
	np, _, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "airplay"), Prefer: 5000})
	if err != nil || np.Port == 5000 {
		t.Errorf("prefer 5000: %+v, %v; want another port (AirPlay Receiver)", np, err)
	}
	np, _, err = a.PortFor(ctxT(t), portolan.NameRequest{Key: nameKey("/src/shop", "mine"), Prefer: 5000, Unsafe: true})
	if err != nil || np.Port != 5000 {
		t.Errorf("prefer 5000 with Unsafe: %+v, %v; want 5000", np, err)
	}
}

// When a pool is full, the names of deleted checkouts are pruned and their
// ports handed out again.
func TestPortForPrunesUnderPressure(t *testing.T) {
	store, _ := openStore(t)
	a := lease.New(store, lease.Options{Host: fakeHost, HostID: "h"})
	gone := t.TempDir() + "/deleted-worktree"
	req := portolan.NameRequest{Key: portolan.NameKey{Project: gone, Worktree: gone, Name: "web"}, Pool: "20600-20600", Assigned: true}
	old, _, err := a.PortFor(ctxT(t), req)
	if err != nil || old.Port != 20600 {
		t.Fatalf("the only port: %+v, %v", old, err)
	}
	live := t.TempDir()
	req.Key = portolan.NameKey{Project: live, Worktree: live, Name: "web"}
	np, created, err := a.PortFor(ctxT(t), req)
	if err != nil || !created || np.Port != 20600 {
		t.Fatalf("a full pool with a deleted checkout's name: %+v, %v, %v; want its port", np, created, err)
	}
	if _, _, err := a.PortFor(ctxT(t), portolan.NameRequest{Key: portolan.NameKey{Project: live, Worktree: live, Name: "api"}, Pool: "20600-20600", Assigned: true}); portolan.ErrorCode(err) != portolan.ECONFLICT {
		t.Errorf("a full pool of live names: %v, want ECONFLICT", err)
	}
}
