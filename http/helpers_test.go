package http_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/internal/memstore"
)

// fakeRegistry answers from a few fixed records, wtf-style: a struct of
// function-free data that covers the lookups the server makes.
type fakeRegistry struct{ recs []portolan.Service }

var (
	https  = portolan.Service{Name: "https", Proto: portolan.TCP, Ports: portolan.SinglePort(443), HasPort: true, Description: "http protocol over TLS/SSL"}
	httpsU = portolan.Service{Name: "https", Proto: portolan.UDP, Ports: portolan.SinglePort(443), HasPort: true}
	pgsql  = portolan.Service{Name: "postgresql", Proto: portolan.TCP, Ports: portolan.SinglePort(5432), HasPort: true, Description: "PostgreSQL Database"}
	x11    = portolan.Service{Name: "x11", Proto: portolan.TCP, Ports: portolan.MustParseRange("6000-6063"), HasPort: true}
)

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{recs: []portolan.Service{https, httpsU, pgsql, x11}}
}

func (f *fakeRegistry) ByPort(p portolan.Port, proto portolan.Proto) []portolan.Service {
	var out []portolan.Service
	for _, r := range f.recs {
		if r.Ports.Contains(p) && proto.Matches(r.Proto) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeRegistry) ByName(name string) []portolan.Service {
	var out []portolan.Service
	for _, r := range f.recs {
		if strings.EqualFold(r.Name, name) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeRegistry) CommonUses(p portolan.Port) []portolan.CommonUse {
	if p == 3000 {
		return []portolan.CommonUse{{Ports: portolan.SinglePort(3000), Name: "node", Desc: "Node dev servers", Source: "test"}}
	}
	return nil
}

func (f *fakeRegistry) CommonUsesNamed(name string) []portolan.CommonUse {
	if strings.EqualFold(name, "node") {
		return f.CommonUses(3000)
	}
	return nil
}

func (f *fakeRegistry) Updated() string { return "2026-08-17" }

func (f *fakeRegistry) Assigned(p portolan.Port, proto portolan.Proto) bool {
	return len(f.ByPort(p, proto)) > 0
}

// fakeLeases grants ports upward from 20000 over a store, enough to drive
// the HTTP lease endpoints (the lease package has its own tests).
type fakeLeases struct {
	mu    sync.Mutex
	store portolan.LeaseStore
	next  portolan.Port
}

func (f *fakeLeases) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next == 0 {
		f.next = 20000
	}
	var ls []*portolan.Lease
	for range req.Count {
		ls = append(ls, &portolan.Lease{Port: f.next, Proto: req.Proto, PID: req.PID, Label: req.Label})
		f.next++
	}
	if err := f.store.InsertLeases(ctx, ls); err != nil {
		return nil, err
	}
	out := make([]portolan.Lease, len(ls))
	for i, l := range ls {
		out[i] = *l
	}
	return out, nil
}

func (f *fakeLeases) Release(ctx context.Context, p portolan.Port) error {
	return f.store.DeleteLease(ctx, "", p)
}
func (f *fakeLeases) Leases(ctx context.Context) ([]portolan.Lease, error) {
	return f.store.Leases(ctx)
}

const (
	adminToken = "admin-token-0123456789"
	readToken  = "read-token-0123456789"
)

type env struct {
	srv    *porthttp.Server
	url    string
	store  portolan.Store
	admin  *porthttp.Client
	reader *porthttp.Client
	anon   *porthttp.Client
}

// listener is one socket the fake inventory reports as listening.
var listener = portolan.Socket{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:8080"), State: "LISTEN",
	Owner: &portolan.Process{PID: 4242, Name: "web"}}

func newEnv(t *testing.T, store portolan.Store, mod func(*porthttp.Config)) *env {
	t.Helper()
	return newEnvOn(t, "127.0.0.1:0", store, mod)
}

// newEnvOn is newEnv with the server listening on addr.
func newEnvOn(t *testing.T, addr string, store portolan.Store, mod func(*porthttp.Config)) *env {
	t.Helper()
	if store == nil {
		store = memstore.New()
	}
	toks := porthttp.NewTokens()
	toks.Add(adminToken, "ci", porthttp.RoleAdmin)
	toks.Add(readToken, "dash", porthttp.RoleRead)
	reg := newFakeRegistry()
	cfg := porthttp.Config{
		Registry: reg,
		Host:     porthttp.HostInfo{Ephemeral: portolan.MustParseRange("32768-60999"), UnprivilegedStart: 1024, Source: "test"},
		Sockets: func(ctx context.Context) ([]portolan.Socket, error) {
			return []portolan.Socket{listener, {Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:40000"),
				Remote: netip.MustParseAddrPort("127.0.0.1:8080"), State: "ESTABLISHED"}}, nil
		},
		Leases: &fakeLeases{store: store},
		Assignments: &assignment.Service{Store: store, IANA: reg.ByPort,
			Ephemeral: append([]portolan.EphemeralRange{{Range: portolan.MustParseRange("32768-60999"), Source: "this host's ephemeral range"}}, portolan.CommonEphemeral...)},
		Tokens: toks,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv := porthttp.NewServer(cfg)
	url := porthttptest.Serve(t, srv, addr)
	e := &env{srv: srv, url: url, store: store,
		admin: porthttp.NewClient(url, adminToken), reader: porthttp.NewClient(url, readToken), anon: porthttp.NewClient(url, "")}
	e.admin.User = "alice"
	return e
}
