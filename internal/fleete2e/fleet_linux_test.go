package fleete2e

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/webhook"
)

const (
	adminToken = "e2e-admin-token-0123456789"
	tokenA     = "e2e-agent-a-token-0123456789"
	tokenB     = "e2e-agent-b-token-0123456789"
	interval   = 200 * time.Millisecond
)

// fleet is the test's world: two servers on one PostgreSQL, reached at
// the host end of namespace a's link; hosts a and b are namespaces.
type fleet struct {
	hookURL       string
	t             *testing.T
	dir, dsn      string
	a, b          *testnet.NS
	addr          [2]string // the servers' HOST:PORT
	servers       [2]*proc
	agents        map[string]*proc
	admin, admin2 *porthttp.Client
}

func (f *fleet) startServer(i int) {
	f.servers[i] = spawn(f.t, nil, []string{"PORTOLAN_STORE=" + f.dsn, "XDG_STATE_HOME=" + f.dir, "PORTOLAN_WEBHOOK_SECRET=" + string(hookSecret)},
		"portolan serve: API", "serve", "--listen", f.addr[i], "--portserver=", "--token-file", filepath.Join(f.dir, "tokens"), "--webhook", f.hookURL)
}

func (f *fleet) startAgent(ns *testnet.NS, name, token string, server int) {
	tf := filepath.Join(f.dir, name+".token")
	os.WriteFile(tf, []byte(token+"\n"), 0o600)
	mid := filepath.Join(f.dir, name+".machine-id")
	os.WriteFile(mid, []byte("mid-"+name+"\n"), 0o644)
	f.agents[name] = spawn(f.t, ns, []string{"PORTOLAN_TOKEN="}, "reporting this host's listeners", "agent",
		"--server", "http://"+f.addr[server], "--token-file", tf, "--machine-id-file", mid, "--name", name, "--interval", interval.String())
}

// freeAddr returns host:port free now on addr.
func freeAddr(t *testing.T, host string) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventually polls cond every 50 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for {
		ok, state := cond()
		if ok {
			return time.Since(start)
		}
		last = state
		if time.Since(start) > d {
			t.Fatalf("after %v: %s; last seen: %s", d, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *fleet) where(port int) []portolan.FleetListener {
	w, err := f.admin2.FleetWhere(context.Background(), strconv.Itoa(port))
	if err != nil {
		return nil
	}
	return w.Listeners
}

func (f *fleet) hostState(name string) portolan.HostState {
	hs, _ := f.admin2.Hosts(context.Background())
	for _, h := range hs {
		if h.Name == name {
			return h.State
		}
	}
	return ""
}

func hostsOf(ls []portolan.FleetListener) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.HostID)
	}
	slices.Sort(out)
	return out
}

// The whole fleet, for real: listeners in two namespaces reach the store
// through two servers and show up through either within two intervals
// (plus scheduling slack); each drift kind appears; a listener's restart is
// no event; a partition and a server restart lose nothing; a killed agent's
// host turns stale, then gone.
func TestFleetEndToEnd(t *testing.T) {
	f := &fleet{t: t, dir: t.TempDir(), dsn: pgtest.New(t), agents: map[string]*proc{}}
	// The webhook receiver is down at first: nothing listens on its port.
	hook := &hookReceiver{}
	f.hookURL = "http://" + freeAddr(t, "127.0.0.1") + "/hook"
	f.a, f.b = testnet.New(t, testnet.Options{}), testnet.New(t, testnet.Options{})
	// b reaches the servers at a's host-side address through its own link.
	if out, err := f.b.Exec("ip", "route", "add", f.a.HostAddr.String()+"/32", "via", f.b.HostAddr.String()); err != nil {
		t.Fatal(out, err)
	}
	os.WriteFile(filepath.Join(f.dir, "tokens"), []byte("admin "+adminToken+" ops\nagent "+tokenA+" host-a\nagent "+tokenB+" host-b\n"), 0o600)
	for i := range f.addr {
		f.addr[i] = freeAddr(t, f.a.HostAddr.String())
		f.startServer(i)
	}
	f.admin = porthttp.NewClient("http://"+f.addr[0], adminToken)
	f.admin2 = porthttp.NewClient("http://"+f.addr[1], adminToken)
	ctx := context.Background()
	for _, a := range []portolan.Assignment{
		{Port: 5432, Proto: portolan.TCP, Name: "postgres", Hosts: "host-a"},
		{Port: 6379, Proto: portolan.TCP, Name: "redis", Hosts: "host-*"},
		{Port: 9200, Proto: portolan.TCP, Name: "search", Hosts: "host-b", Scope: portolan.ScopeLoopbackOnly},
	} {
		if _, err := f.admin.Assign(ctx, &a, true); err != nil {
			t.Fatal(err)
		}
	}
	pg, err := f.a.Listen("0.0.0.0:5432")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	stray, err := f.a.Listen("0.0.0.0:8080")
	if err != nil {
		t.Fatal(err)
	}
	search, err := f.b.Listen("0.0.0.0:9200")
	if err != nil {
		t.Fatal(err)
	}
	defer search.Close()
	f.startAgent(f.a, "host-a", tokenA, 0)
	f.startAgent(f.b, "host-b", tokenB, 1)

	// 1. Listeners reported through server 0 read through server 1.
	took := eventually(t, 3*time.Second, "host-a's 5432 never showed through the other server", func() (bool, string) {
		ls := f.where(5432)
		return len(ls) == 1 && ls[0].HostID == "mid-host-a", ""
	})
	t.Logf("5432 in the fleet %v after the agent started (interval %v)", took.Round(time.Millisecond), interval)

	// 2. Every drift kind, for real.
	want := map[string]bool{
		"mid-host-a foreign 5432": true, "mid-host-a down 6379": true, "mid-host-a unregistered 8080": true,
		"mid-host-b down 6379": true, "mid-host-b exposed 9200": true, "mid-host-b foreign 9200": true,
	}
	eventually(t, 3*time.Second, "not every drift kind appeared", func() (bool, string) {
		d, _ := f.admin2.Drift(ctx, "")
		got := map[string]bool{}
		for _, x := range d {
			got[x.HostID+" "+string(x.Kind)+" "+strconv.Itoa(int(x.Port))] = true
		}
		for k := range want {
			if !got[k] {
				return false, strconv.Quote(k) + " missing from " + strconv.Itoa(len(d)) + " items"
			}
		}
		return true, ""
	})

	// The receiver comes up: what was queued while it was down arrives.
	hook.start(t, strings.TrimSuffix(strings.TrimPrefix(f.hookURL, "http://"), "/hook"))

	// 3. A listener closed goes away within two intervals, and its drift clears.
	stray.Close()
	eventually(t, 3*time.Second, "8080 never went away", func() (bool, string) { return len(f.where(8080)) == 0, "" })

	// 4. A restart of the same program (new pid, same port) is no event.
	inA := []string{"ip", "netns", "exec", f.a.Name}
	hold := sockhold.StartIn(t, inA, "", "tcp:0.0.0.0:7000")
	eventually(t, 3*time.Second, "7000 never showed", func() (bool, string) { return len(f.where(7000)) == 1, "" })
	hold.Stop()
	sockhold.StartIn(t, inA, "", "tcp:0.0.0.0:7000")
	time.Sleep(4 * interval)
	evs, err := f.admin2.Events(ctx, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Port == 7000 && e.Kind == portolan.EventListenerDown {
			t.Errorf("a restart of the holder of 7000 made an event: %+v", e)
		}
	}

	// 5. A partition of host-b: it goes stale; what changed meanwhile
	// arrives once the link heals.
	if out, err := f.b.Exec("nft", "add table inet part; add chain inet part out { type filter hook output priority 0; }; add rule inet part out ip daddr "+f.a.HostAddr.String()+" drop"); err != nil {
		t.Fatal(out, err)
	}
	late, err := f.b.Listen("0.0.0.0:9300")
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	eventually(t, 3*time.Second, "partitioned host-b never turned stale", func() (bool, string) {
		s := f.hostState("host-b")
		return s == portolan.HostStale, string(s)
	})
	if len(f.where(9300)) != 0 {
		t.Fatal("9300 arrived through a partition")
	}
	if out, err := f.b.Exec("nft", "delete table inet part"); err != nil {
		t.Fatal(out, err)
	}
	eventually(t, 8*time.Second, "9300, opened during the partition, never arrived after it healed", func() (bool, string) {
		return len(f.where(9300)) == 1 && f.hostState("host-b") == portolan.HostFresh, string(f.hostState("host-b"))
	})

	// 6. Server 1 (host-b's) crashes and comes back on the same address:
	// the change made while it was down arrives.
	f.servers[1].stop()
	later, err := f.b.Listen("0.0.0.0:9400")
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	time.Sleep(3 * interval)
	f.startServer(1)
	eventually(t, 8*time.Second, "9400, opened while host-b's server was down, never arrived", func() (bool, string) {
		return len(f.where(9400)) == 1, ""
	})
	if got := hostsOf(f.where(5432)); !slices.Equal(got, []string{"mid-host-a"}) {
		t.Errorf("5432 listed for %v, want host-a once", got)
	}

	// 7. host-a's agent is killed: stale after three intervals, gone after ten.
	f.agents["host-a"].stop()
	eventually(t, 3*time.Second, "host-a never turned stale", func() (bool, string) {
		s := f.hostState("host-a")
		return s == portolan.HostStale, string(s)
	})
	eventually(t, 5*time.Second, "host-a never turned gone", func() (bool, string) {
		s := f.hostState("host-a")
		return s == portolan.HostGone, string(s)
	})

	// 8. The webhook got exactly the stored events, each signed, none twice.
	stored, err := f.admin2.Events(ctx, "", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want8 := map[string]int{}
	for _, e := range stored {
		want8[eventKey(e)]++
	}
	eventually(t, 10*time.Second, "the webhook did not get every stored event", func() (bool, string) {
		got := hook.keys()
		if len(got) != len(want8) {
			return false, strconv.Itoa(len(got)) + " of " + strconv.Itoa(len(want8))
		}
		for k, n := range want8 {
			if got[k] != n {
				return false, k + " " + strconv.Itoa(got[k]) + " times"
			}
		}
		return true, ""
	})
	if hook.badSignatures() != 0 {
		t.Errorf("%d webhook requests failed the signature check", hook.badSignatures())
	}
}

var hookSecret = []byte("e2e-webhook-secret-0123456789")

func eventKey(e portolan.FleetEvent) string {
	return e.HostID + " " + string(e.Kind) + " " + e.Proto.String() + " " + strconv.Itoa(int(e.Port)) + " " + string(e.Drift) + " " + e.Time.UTC().Format(time.RFC3339Nano)
}

// hookReceiver is the webhook's receiver: it checks each signature and
// counts the events by key.
type hookReceiver struct {
	mu  sync.Mutex
	got map[string]int
	bad int
}

func (h *hookReceiver) start(t *testing.T, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := webhook.Verify(hookSecret, r.Header.Get("X-Portolan-Signature"), body, time.Minute, time.Now()); err != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e portolan.FleetEvent
		if json.Unmarshal(body, &e) == nil {
			if h.got == nil {
				h.got = map[string]int{}
			}
			h.got[eventKey(e)]++
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func (h *hookReceiver) keys() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.got)
}

func (h *hookReceiver) badSignatures() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bad
}
