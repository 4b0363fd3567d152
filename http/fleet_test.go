package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/sqlite"
	"github.com/portolan-dev/portolan/storetest"
	"github.com/portolan-dev/portolan/webhook"
)

const (
	agentTokenA = "agent-token-a-0123456789"
	agentTokenB = "agent-token-b-0123456789"
)

func fleetEnv(t *testing.T, events *[]portolan.FleetEvent, more ...func(*porthttp.Config)) (*env, *sqlite.DB) {
	t.Helper()
	store := storetest.SQLite(t)
	e := newEnv(t, store, func(c *porthttp.Config) {
		c.Fleet = store
		c.Tokens.Add(agentTokenA, "web-1", porthttp.RoleAgent)
		c.Tokens.Add(agentTokenB, "web-2", porthttp.RoleAgent)
		if events != nil {
			c.OnFleetEvents = func(evs []portolan.FleetEvent) { *events = append(*events, evs...) }
		}
		for _, f := range more {
			f(c)
		}
	})
	return e, store
}

func reportJSON(id string, seq, base uint64, full bool, ports ...int) string {
	var ls []string
	for _, p := range ports {
		ls = append(ls, fmt.Sprintf(`{"protocol":"tcp","address":"0.0.0.0","port":%d,"program":"/usr/bin/app%d","user":"svc","reach":"all"}`, p, p))
	}
	field := "added"
	if full {
		field = "listeners"
	}
	return fmt.Sprintf(`{"host_id":%q,"host_name":"web-1","interval_ns":1000000000,"seq":%d,"base":%d,"full":%v,%q:[%s]}`,
		id, seq, base, full, field, strings.Join(ls, ","))
}

// An agent reports its host; after the second report the listeners are
// confirmed and readable by port, host and drift; agent tokens report one
// host only and read nothing; bad reports get 400.
func TestFleetAPI(t *testing.T) {
	var events []portolan.FleetEvent
	e, _ := fleetEnv(t, &events)
	rep := e.url + "/v1/hosts/m-1/report"
	if code, _, _ := call(t, "POST", rep, "", reportJSON("m-1", 1, 0, true, 5432)); code != 401 {
		t.Errorf("report without a token: %d, want 401", code)
	}
	if code, _, _ := call(t, "POST", rep, readToken, reportJSON("m-1", 1, 0, true, 5432)); code != 401 {
		t.Errorf("report with a read token: %d, want 401", code)
	}
	code, ack, _ := call(t, "POST", rep, agentTokenA, reportJSON("m-1", 1, 0, true, 5432, 8080))
	if code != 200 || ack["seq"] != float64(1) || ack["resync"] != nil {
		t.Fatalf("first report: %d %v", code, ack)
	}
	// A delta that skips a report asks for a full one.
	if code, ack, _ := call(t, "POST", rep, agentTokenA, reportJSON("m-1", 3, 2, false)); code != 200 || ack["resync"] != true {
		t.Fatalf("out-of-step delta: %d %v, want resync", code, ack)
	}
	if code, ack, _ := call(t, "POST", rep, agentTokenA, reportJSON("m-1", 2, 1, false)); code != 200 || ack["seq"] != float64(2) {
		t.Fatalf("heartbeat: %d %v", code, ack)
	}
	// Another host's token may not report for m-1, and m-1's token may
	// report for no other host (nor make one up); an agent token reads
	// nothing.
	if code, _, _ := call(t, "POST", rep, agentTokenB, reportJSON("m-1", 3, 2, false)); code != 403 {
		t.Errorf("report for m-1 with web-2's token: %d, want 403", code)
	}
	for _, other := range []string{"m-2", "made-up-1", "made-up-2"} {
		code, body, _ := call(t, "POST", e.url+"/v1/hosts/"+other+"/report", agentTokenA, reportJSON(other, 1, 0, true, 22))
		if _, msg := errorOf(body); code != 403 || !strings.Contains(msg, "give each host an agent token of its own") {
			t.Errorf("report for %s with m-1's token: %d %q, want 403 naming the fix", other, code, msg)
		}
	}
	if code, _, _ := call(t, "GET", e.url+"/v1/hosts", agentTokenA, ""); code != 403 {
		t.Errorf("GET /v1/hosts with an agent token: %d, want 403", code)
	}
	if code, _, _ := call(t, "POST", e.url+"/v1/assignments", agentTokenA, `{"port":7000,"protocol":"tcp","name":"x"}`); code != 403 {
		t.Errorf("assign with an agent token: %d, want 403", code)
	}

	var hosts []portolan.FleetHost
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/hosts", "")), &hosts); err != nil || len(hosts) != 1 ||
		hosts[0].State != portolan.HostFresh || hosts[0].Listeners != 2 || hosts[0].Name != "web-1" || hosts[0].Reporter != "" {
		t.Fatalf("GET /v1/hosts: %+v %v", hosts, err)
	}
	var where porthttp.FleetWhere
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/fleet/where/postgresql", readToken)), &where); err != nil ||
		len(where.Listeners) != 1 || where.Listeners[0].HostID != "m-1" || where.Listeners[0].User != "" || where.Listeners[0].Program != "/usr/bin/app5432" {
		t.Fatalf("where postgresql (read token): %+v %v", where, err)
	}
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/fleet/where/5432/tcp", adminToken)), &where); err != nil ||
		len(where.Listeners) != 1 || where.Listeners[0].User != "svc" {
		t.Fatalf("where 5432/tcp (admin): %+v %v", where, err)
	}
	var ls []portolan.FleetListener
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/hosts/m-1/listeners", "")), &ls); err != nil || len(ls) != 2 {
		t.Fatalf("listeners of m-1: %+v %v", ls, err)
	}
	var drift []portolan.DriftItem
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/drift?host=m-1", "")), &drift); err != nil || len(drift) != 2 || drift[0].Kind != portolan.DriftUnregistered {
		t.Fatalf("drift of m-1: %+v %v", drift, err)
	}
	var evs []portolan.FleetEvent
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/events?since=0&limit=2", "")), &evs); err != nil || len(evs) != 2 || evs[0].Kind != portolan.EventHostNew {
		t.Fatalf("events: %+v %v", evs, err)
	}
	if len(events) != 5 { // host-new, 2 listener-up, 2 drift
		t.Errorf("OnFleetEvents heard %d events, want 5: %+v", len(events), events)
	}

	for _, bad := range []string{
		reportJSON("m-2", 1, 0, true),                                    // names another host
		`{"host_id":"m-1","seq":1,"full":true,"listeners":[{"port":1}]}`, // no address
		`{"host_id":"m-1","seq":1,"full":true,"listeners":[],"added":[{"protocol":"tcp","address":"::","port":1}]}`,
		`{"host_id":"m-1","seq":1,"full":true,"listeners":[{"protocol":"tcp","address":"::","port":1,"reach":"mars"}]}`,
		`{"host_id":"m-1","colour":"red"}`,
		`{"host_id":"m-1","host_name":"web\t1\u001b[31m","seq":1,"full":true,"listeners":[]}`, // a tab splits piped rows
	} {
		if code, resp, _ := call(t, "POST", rep, adminToken, bad); code != 400 {
			t.Errorf("report %s: %d %v, want 400", bad, code, resp)
		}
	}
	if code, _, _ := call(t, "POST", e.url+"/v1/hosts/bad%20id/report", adminToken, reportJSON("bad id", 1, 0, true)); code != 400 {
		t.Errorf("report for a bad host id: %d, want 400", code)
	}
	for _, q := range []string{"/v1/fleet/where/70000", "/v1/fleet/where/5432/xyz", "/v1/events?limit=0", "/v1/events?since=x"} {
		if code, _, _ := call(t, "GET", e.url+q, "", ""); code != 400 {
			t.Errorf("GET %s: %d, want 400", q, code)
		}
	}
	if code, _, _ := call(t, "GET", e.url+"/v1/fleet/where/nosuchname", "", ""); code != 404 {
		t.Errorf("where nosuchname: %d, want 404", code)
	}
	// web-2's refused try for m-1 did not tie its token to m-1.
	if code, body, _ := call(t, "POST", e.url+"/v1/hosts/m-2/report", agentTokenB, reportJSON("m-2", 1, 0, true, 22)); code != 200 {
		t.Errorf("web-2's first report for its own m-2: %d %v", code, body)
	}
}

// /metrics carries the fleet's gauges: hosts by state and drift by kind,
// every label value present.
func TestFleetMetrics(t *testing.T) {
	store := storetest.SQLite(t)
	e := newEnv(t, store, func(c *porthttp.Config) {
		c.Fleet = store
		c.Tokens.Add(agentTokenA, "web-1", porthttp.RoleAgent)
		c.Webhook = func() webhook.Stats { return webhook.Stats{Sent: 7, Retried: 2, Dropped: 1, Rejected: 1, Queued: 3} }
	})
	rep := e.url + "/v1/hosts/m-1/report"
	for seq := 1; seq <= 2; seq++ {
		if code, resp, _ := call(t, "POST", rep, agentTokenA, reportJSON("m-1", uint64(seq), 0, true, 8080)); code != 200 {
			t.Fatalf("report: %d %v", code, resp)
		}
	}
	m := porthttptest.Get(t, e.url+"/metrics", "")
	for _, want := range []string{
		"# TYPE portolan_fleet_hosts gauge\n",
		`portolan_fleet_hosts{state="fresh"} 1` + "\n",
		`portolan_fleet_hosts{state="stale"} 0` + "\n",
		`portolan_fleet_hosts{state="gone"} 0` + "\n",
		`portolan_fleet_drift{kind="unregistered"} 1` + "\n",
		`portolan_fleet_drift{kind="down"} 0` + "\n",
		"portolan_webhook_sent_total 7\n", "portolan_webhook_retries_total 2\n",
		"portolan_webhook_dropped_total 2\n", "portolan_webhook_queued 3\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The families come sorted by name, as the reference client writes them.
	var names []string
	for _, line := range strings.Split(m, "\n") {
		if n, ok := strings.CutPrefix(line, "# TYPE "); ok && strings.HasPrefix(n, "portolan_") {
			names = append(names, strings.Fields(n)[0])
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("metric families out of order: %v", names)
	}
}

// A host whose token is taken over cannot fill the store: once its
// listeners churn past what one token may write, its reports get 429 with
// Retry-After and nothing of them is stored; another host's token and an
// admin token still report. (The budget is small here so that the test is
// quick under -race; TestReportBudgetFitsANewHost checks the default.)
func TestFleetReportBudget(t *testing.T) {
	const n = 100 // listeners a report
	e, store := fleetEnv(t, nil, func(c *porthttp.Config) { c.AgentWrites = porthttp.Budget{Burst: 7 * n, Rate: 1} })
	churn := func(id, token string, seq uint64, lo int) (int, http.Header) {
		ports := make([]int, n)
		for i := range ports {
			ports[i] = lo + i
		}
		code, _, h := call(t, "POST", e.url+"/v1/hosts/"+id+"/report", token, reportJSON(id, seq, 0, true, ports...))
		return code, h
	}
	// A new host's first two reports (seen, then confirmed) fit.
	for seq := uint64(1); seq <= 2; seq++ {
		if code, _ := churn("m-1", agentTokenA, seq, 1); code != 200 {
			t.Fatalf("report %d of a new host with %d listeners: %d, want 200", seq, n, code)
		}
	}
	// Then every listener changes at every report.
	var code int
	var h http.Header
	seq := uint64(2)
	for seq < 12 && code != 429 {
		seq++
		code, h = churn("m-1", agentTokenA, seq, 1+int(seq%2)*n)
		if code != 200 && code != 429 {
			t.Fatalf("report %d: %d", seq, code)
		}
	}
	if code != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("after %d reports of %d changed listeners: %d, Retry-After %q; want 429 with Retry-After", seq, n, code, h.Get("Retry-After"))
	}
	hs, err := store.FleetHosts(context.Background())
	if err != nil || len(hs) != 1 || hs[0].Seq != seq-1 {
		t.Fatalf("after report %d was refused: hosts %+v, %v; want m-1 at the last report stored, %d", seq, hs, err, seq-1)
	}
	evs, err := store.FleetEvents(context.Background(), "m-1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := churn("m-1", agentTokenA, seq, 1+int(seq%2)*n); code != 429 {
		t.Errorf("the same report again at once: %d, want 429", code)
	}
	if again, _ := store.FleetEvents(context.Background(), "m-1", 0, 1000); len(again) != len(evs) {
		t.Errorf("a refused report wrote %d events", len(again)-len(evs))
	}
	if code, _, _ := call(t, "POST", e.url+"/v1/hosts/m-2/report", agentTokenB, reportJSON("m-2", 1, 0, true, 22)); code != 200 {
		t.Errorf("another host's report while m-1 is over its budget: %d", code)
	}
	for seq := uint64(1); seq <= 4; seq++ {
		if code, _ := churn("m-admin", adminToken, seq, 1+int(seq%2)*n); code != 200 {
			t.Errorf("an admin token's report %d: %d", seq, code)
		}
	}
}
