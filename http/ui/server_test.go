package ui_test

import (
	"context"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/http/ui"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/portolan-dev/portolan/storetest"
)

const (
	adminToken = "ui-test-admin-token-0123456789"
	readToken  = "ui-test-read-token-0123456789"
)

// realServer starts the real API server with the page, the embedded IANA
// registry, this host's sockets and a fresh SQLite store on 127.0.0.1:0,
// composed as `portolan serve` composes it. It returns the base URL and
// the store.
func realServer(t testing.TB) (string, portolan.Store) {
	t.Helper()
	return realServerWith(t, nil)
}

// realServerWith is realServer with its configuration changed by edit.
func realServerWith(t testing.TB, edit func(*porthttp.Config)) (string, portolan.Store) {
	t.Helper()
	reg, err := registry.Default()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := registry.Host()
	store := storetest.SQLite(t)
	toks := porthttp.NewTokens()
	if err := toks.Add(adminToken, "ui-test", porthttp.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := toks.Add(readToken, "ui-read", porthttp.RoleRead); err != nil {
		t.Fatal(err)
	}
	leases := lease.New(store, lease.Options{Assigned: reg.Assigned, Held: sockets.InUse})
	t.Cleanup(func() { leases.Close() })
	cfg := porthttp.Config{
		Registry: reg,
		Search: func(q string, limit int) []portolan.Service {
			var out []portolan.Service
			for _, h := range reg.Search(q, limit) {
				out = append(out, h.Service)
			}
			return out
		},
		SearchCommon: registry.SearchCommonUses,
		Host: porthttp.HostInfo{Ephemeral: host.Ephemeral, Reserved: host.Reserved,
			UnprivilegedStart: host.UnprivilegedStart, Defaults: host.Defaults, Source: host.Source},
		Sockets: func(ctx context.Context) ([]portolan.Socket, error) {
			return sockets.List(ctx, sockets.Filter{WithOwners: true})
		},
		Leases:      leases,
		Assignments: assignment.New(store, reg.ByPort, host.Ephemeral, host.UnprivilegedStart),
		Tokens:      toks,
		Names:       leases,
		Fleet:       store,
		UI:          ui.Handler(),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv := porthttp.NewServer(cfg)
	return porthttptest.Serve(t, srv, "127.0.0.1:0"), store
}
