package storetest

import (
	"testing"

	"github.com/portolan-dev/portolan"
)

func namedStore(t *testing.T, s portolan.Store) portolan.NamedPortStore {
	t.Helper()
	ns, ok := s.(portolan.NamedPortStore)
	if !ok {
		t.Skipf("%T keeps no named ports", s)
	}
	return ns
}

func key(name string) portolan.NameKey {
	return portolan.NameKey{Project: "/src/shop", Worktree: "/src/shop-feat", Name: name}
}

// Named ports round-trip, are per host, and the key and the port are each
// unique on a host.
func testNamedPorts(t *testing.T, s portolan.Store) {
	ns := namedStore(t, s)
	web := &portolan.NamedPort{NameKey: key("web"), Port: 41000, HostID: "h1"}
	if err := ns.InsertNamedPort(ctx(t), web); err != nil || web.Created.IsZero() {
		t.Fatalf("insert: %v (created %v)", err, web.Created)
	}
	wantCode(t, ns.InsertNamedPort(ctx(t), &portolan.NamedPort{NameKey: key("web"), Port: 41001, HostID: "h1"}), portolan.ECONFLICT)
	wantCode(t, ns.InsertNamedPort(ctx(t), &portolan.NamedPort{NameKey: key("api"), Port: 41000, HostID: "h1"}), portolan.ECONFLICT)
	// Another worktree's web, another host's port 41000: both fine.
	other := key("web")
	other.Worktree = "/src/shop"
	for _, np := range []*portolan.NamedPort{
		{NameKey: other, Port: 41002, HostID: "h1", Proto: portolan.TCP},
		{NameKey: key("web"), Port: 41000, HostID: "h2"},
	} {
		if err := ns.InsertNamedPort(ctx(t), np); err != nil {
			t.Fatalf("insert %+v: %v", np, err)
		}
	}
	got, err := ns.NamedPorts(ctx(t), "h1")
	if err != nil || len(got) != 2 {
		t.Fatalf("h1's named ports = %+v, %v; want 2", got, err)
	}
	if got[0].Worktree != "/src/shop" || got[0].Port != 41002 || got[0].Proto != portolan.TCP || got[1].Port != 41000 || got[1].Name != "web" {
		t.Errorf("h1's named ports = %+v; want shop's web on 41002/tcp, then shop-feat's web on 41000", got)
	}
	wantCode(t, ns.DeleteNamedPort(ctx(t), "h1", key("api")), portolan.ENOTFOUND)
	if err := ns.DeleteNamedPort(ctx(t), "h1", key("web")); err != nil {
		t.Fatal(err)
	}
	if got, _ := ns.NamedPorts(ctx(t), "h1"); len(got) != 1 {
		t.Errorf("after forgetting web: %+v", got)
	}
	if got, _ := ns.NamedPorts(ctx(t), "h2"); len(got) != 1 || got[0].Port != 41000 {
		t.Errorf("h2's named ports changed: %+v", got)
	}
}

// Sixteen clients naming one key at once with different ports: exactly
// one wins, and every loser gets ECONFLICT.
func testNamedPortRace(t *testing.T, s portolan.Store) {
	ns := namedStore(t, s)
	OneWins(t, "inserts of one key", 16, func(i int) error {
		return ns.InsertNamedPort(ctx(t), &portolan.NamedPort{NameKey: key("db"), Port: portolan.Port(42000 + i), HostID: "h"})
	})
}
