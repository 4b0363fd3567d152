package storetest

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

func fleetStore(t *testing.T, s portolan.Store) portolan.FleetStore {
	t.Helper()
	fs, ok := s.(portolan.FleetStore)
	if !ok {
		t.Skipf("%T keeps no fleet", s)
	}
	return fs
}

func listener(port portolan.Port, program string) portolan.FleetListener {
	return portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.MustParseAddr("10.0.0.7"), Port: port},
		Program: program, Process: "app", User: "svc", Reach: portolan.ReachLAN}
}

// report applies rep to the store as the server does.
func report(t *testing.T, fs portolan.FleetStore, rep portolan.FleetReport, plan []portolan.Assignment, now time.Time) portolan.ReportAck {
	t.Helper()
	var ack portolan.ReportAck
	err := fs.UpdateHost(ctx(t), rep.HostID, func(rec portolan.HostRecord, known bool) (portolan.HostChange, error) {
		var ch portolan.HostChange
		ch, ack = portolan.ApplyReport(rec, known, rep, plan, now)
		return ch, nil
	})
	if err != nil {
		t.Fatalf("report %d of %s: %v", rep.Seq, rep.HostID, err)
	}
	return ack
}

// A host's listeners, drift and events round-trip through the two-report
// rule; counts, the port index and the event cursor agree.
func testFleetRoundTrip(t *testing.T, s portolan.Store) {
	fs := fleetStore(t, s)
	now := time.Unix(1.8e9, 0).UTC()
	plan := []portolan.Assignment{{Port: 5432, Proto: portolan.TCP, Name: "postgres"}, {Port: 6379, Proto: portolan.TCP, Name: "redis"}}
	full := portolan.FleetReport{HostID: "m-1", HostName: "db-1", Interval: 10 * time.Second, Seq: 1, Full: true,
		Listeners: []portolan.FleetListener{listener(5432, "/usr/lib/postgresql/15/bin/postgres"), listener(8080, "/usr/bin/python3")}}
	report(t, fs, full, plan, now)
	if ls, err := fs.HostListeners(ctx(t), "m-1"); err != nil || len(ls) != 0 {
		t.Fatalf("after one report: %v, %v (want none confirmed)", ls, err)
	}
	ack := report(t, fs, portolan.FleetReport{HostID: "m-1", HostName: "db-1", Seq: 2, Base: 1}, plan, now.Add(10*time.Second))
	if ack.Resync || ack.Seq != 2 {
		t.Fatalf("heartbeat ack %+v", ack)
	}
	ls, err := fs.HostListeners(ctx(t), "m-1")
	if err != nil || len(ls) != 2 || ls[0].Port != 5432 || ls[0].Program != "/usr/lib/postgresql/15/bin/postgres" ||
		ls[0].Reach != portolan.ReachLAN || ls[0].User != "svc" || ls[0].Addr != netip.MustParseAddr("10.0.0.7") || !ls[0].FirstSeen.Equal(now) {
		t.Fatalf("confirmed listeners %+v, %v", ls, err)
	}
	hosts, err := fs.FleetHosts(ctx(t))
	if err != nil || len(hosts) != 1 || hosts[0].Name != "db-1" || hosts[0].Listeners != 2 || hosts[0].Drift != 2 ||
		hosts[0].Seq != 2 || hosts[0].Interval != 10*time.Second || !hosts[0].LastSeen.Equal(now.Add(10*time.Second)) {
		t.Fatalf("hosts %+v, %v", hosts, err)
	}
	drift, err := fs.FleetDrift(ctx(t), "")
	if err != nil || len(drift) != 2 || drift[0].Kind != portolan.DriftDown || drift[0].Port != 6379 || drift[1].Kind != portolan.DriftUnregistered || drift[1].Port != 8080 {
		t.Fatalf("drift %+v, %v", drift, err)
	}
	on, err := fs.ListenersOn(ctx(t), 5432, portolan.ProtoAny)
	if err != nil || len(on) != 1 || on[0].HostID != "m-1" {
		t.Fatalf("listeners on 5432: %+v, %v", on, err)
	}
	if on, _ := fs.ListenersOn(ctx(t), 5432, portolan.UDP); len(on) != 0 {
		t.Fatalf("listeners on 5432/udp: %+v", on)
	}
	evs, err := fs.FleetEvents(ctx(t), "", 0, 100)
	if err != nil || len(evs) != 5 || evs[0].Kind != portolan.EventHostNew || evs[1].Kind != portolan.EventListenerUp {
		t.Fatalf("events %+v, %v", evs, err)
	}
	if evs[1].HostName != "db-1" || evs[1].Port != 5432 || evs[1].Addr != netip.MustParseAddr("10.0.0.7") || !evs[1].Time.Equal(now.Add(10*time.Second)) {
		t.Fatalf("listener-up event %+v", evs[1])
	}
	if mine, _ := fs.FleetEvents(ctx(t), "m-1", 0, 100); len(mine) != 5 {
		t.Fatalf("events of m-1: %d, want 5", len(mine))
	}
	if none, _ := fs.FleetEvents(ctx(t), "m-2", 0, 100); len(none) != 0 {
		t.Fatalf("events of a host that never reported: %+v", none)
	}
	if rest, _ := fs.FleetEvents(ctx(t), "", evs[2].ID, 100); len(rest) != 2 || rest[0].ID != evs[3].ID {
		t.Fatalf("events after %d: %+v", evs[2].ID, rest)
	}
	// A delta out of step is refused whole.
	ack = report(t, fs, portolan.FleetReport{HostID: "m-1", HostName: "db-1", Seq: 9, Base: 7, Added: []portolan.FleetListener{listener(9, "x")}}, plan, now.Add(20*time.Second))
	if !ack.Resync {
		t.Fatalf("out-of-step delta ack %+v", ack)
	}
}

// Many servers' worth of concurrent reports: every host's listeners land
// once, none lost, none twice, and each event once.
func testFleetConcurrentReports(t *testing.T, s portolan.Store) {
	fs := fleetStore(t, s)
	now := time.Unix(1.8e9, 0).UTC()
	const hosts, per = 8, 20
	var wg sync.WaitGroup
	for w := range 4 { // four "servers", each taking every host's reports
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range hosts {
				id := fmt.Sprintf("host-%d", h)
				ls := make([]portolan.FleetListener, per)
				for i := range ls {
					ls[i] = listener(portolan.Port(20000+i), "svc")
				}
				// Each server applies the same two full reports: the
				// second of the same host confirms, the rest change nothing.
				for seq := range 2 {
					err := fs.UpdateHost(ctx(t), id, func(rec portolan.HostRecord, known bool) (portolan.HostChange, error) {
						ch, _ := portolan.ApplyReport(rec, known, portolan.FleetReport{HostID: id, HostName: id, Seq: uint64(w*2 + seq + 1), Full: true, Listeners: ls}, nil, now)
						return ch, nil
					})
					if err != nil {
						t.Errorf("server %d host %s: %v", w, id, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	hs, err := fs.FleetHosts(ctx(t))
	if err != nil || len(hs) != hosts {
		t.Fatalf("%d hosts, %v", len(hs), err)
	}
	for _, h := range hs {
		if h.Listeners != per {
			t.Errorf("%s: %d listeners, want %d", h.ID, h.Listeners, per)
		}
	}
	evs, err := fs.FleetEvents(ctx(t), "", 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	up := map[string]int{}
	news := 0
	for _, e := range evs {
		switch e.Kind {
		case portolan.EventListenerUp:
			up[fmt.Sprintf("%s/%d", e.HostID, e.Port)]++
		case portolan.EventHostNew:
			news++
		}
	}
	if news != hosts || len(up) != hosts*per {
		t.Fatalf("%d host-new events, %d listeners up; want %d and %d", news, len(up), hosts, hosts*per)
	}
	for k, n := range up {
		if n != 1 {
			t.Fatalf("%s came up %d times", k, n)
		}
	}
}

// An assignment's scope round-trips (the fleet's exposed drift reads it).
func testAssignmentScope(t *testing.T, s portolan.Store) {
	a := &portolan.Assignment{Port: 6379, Proto: portolan.TCP, Name: "redis", Scope: portolan.ScopeLoopbackOnly}
	if err := s.CreateAssignment(ctx(t), a); err != nil {
		t.Fatal(err)
	}
	as, err := s.Assignments(ctx(t), portolan.AssignmentFilter{})
	if err != nil || len(as) != 1 || as[0].Scope != portolan.ScopeLoopbackOnly {
		t.Fatalf("assignments %+v, %v", as, err)
	}
}

// An agent token is tied to the host of its first report, for good, and
// when several servers see its first reports for several hosts at once,
// every one of them gets the same answer.
func testFleetAgentBinding(t *testing.T, s portolan.Store) {
	fs := fleetStore(t, s)
	// A host that reports with token ops ties no other token to it.
	now := time.Unix(1.8e9, 0).UTC()
	if err := fs.UpdateHost(ctx(t), "m-3", func(rec portolan.HostRecord, known bool) (portolan.HostChange, error) {
		ch, _ := portolan.ApplyReport(rec, known, portolan.FleetReport{HostID: "m-3", Seq: 1, Full: true}, nil, now)
		ch.Host.Reporter = "ops"
		return ch, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ token, host, want, what string }{
		{"db-1", "m-1", "m-1", "a token's first report ties it"},
		{"db-1", "m-2", "m-1", "a tied token for another host"},
		{"db-1", "m-1", "m-1", "a tied token for its host again"},
		{"web-1", "m-2", "m-2", "another token for a free host"},
		{"stray", "m-3", "", "a token for a host that reports with token ops"},
		{"stray", "m-4", "m-4", "that token, refused before, for a free host"},
		{"ops", "m-3", "m-3", "ops for its own host"},
	} {
		got, err := fs.BindAgent(ctx(t), c.token, c.host)
		if err != nil || got != c.want {
			t.Errorf("%s: BindAgent(%s, %s) = %q, %v; want %q", c.what, c.token, c.host, got, err, c.want)
		}
	}

	const racers = 8
	got := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := fs.BindAgent(ctx(t), "race", fmt.Sprintf("r-%d", i))
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			got[i] = b
		}()
	}
	wg.Wait()
	for i, b := range got {
		if b == "" || b != got[0] {
			t.Fatalf("racers tied token race to %q: every one must get the same host (racer %d)", got, i)
		}
	}
}

// Folding a host's old events keeps its history right from the fold on:
// replayed to any later time, the listeners up are those before the fold;
// the events after it are untouched; HistorySince says where it starts;
// a second fold at the same time removes nothing.
func testFleetCompaction(t *testing.T, s portolan.Store) {
	fs := fleetStore(t, s)
	t0 := time.Unix(1.8e9, 0).UTC()
	// One report a minute; a listener is up (or down) at the second of
	// two reports that agree.
	sets := [][]portolan.Port{
		{80, 443, 22}, {80, 443, 22}, // 80, 443 and 22 up
		{80, 22}, {80, 22}, // 443 down
		{80, 22, 443}, {80, 22, 443}, // 443 up again
		{80, 443}, {80, 443}, // 22 down
		{80, 443, 8080}, {80, 443, 8080}, // 8080 up
		{443, 8080}, {443, 8080}, // 80 down
	}
	for i, ports := range sets {
		ls := make([]portolan.FleetListener, len(ports))
		for j, p := range ports {
			ls[j] = listener(p, "app")
		}
		report(t, fs, portolan.FleetReport{HostID: "h", HostName: "h", Seq: uint64(i + 1), Full: true, Listeners: ls}, nil, t0.Add(time.Duration(i)*time.Minute))
	}
	up := func(evs []portolan.FleetEvent, at time.Time) []portolan.Port {
		on := map[portolan.Port]bool{}
		for _, e := range evs {
			if e.Time.After(at) {
				continue
			}
			switch e.Kind {
			case portolan.EventListenerUp:
				on[e.Port] = true
			case portolan.EventListenerDown:
				delete(on, e.Port)
			}
		}
		return slices.Sorted(maps.Keys(on))
	}
	before, err := fs.FleetEvents(ctx(t), "h", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	fold := t0.Add(8*time.Minute + 30*time.Second) // after 22 went down, before 8080 came up
	n, err := fs.CompactFleetEvents(ctx(t), fold)
	if err != nil {
		t.Fatal(err)
	}
	after, err := fs.FleetEvents(ctx(t), "h", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || int(n) != len(before)-len(after) {
		t.Fatalf("the fold removed %d events; %d before, %d after", n, len(before), len(after))
	}
	for _, e := range after {
		if e.Time.Before(fold) && e.Kind != portolan.EventListenerUp {
			t.Errorf("a %s event from before the fold is left: %+v", e.Kind, e)
		}
	}
	if got := up(after, fold); !slices.Equal(got, []portolan.Port{80, 443}) {
		t.Errorf("listeners up at the fold, from the folded history: %v; want 80 and 443", got)
	}
	for m := 9; m <= 12; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		if want, got := up(before, at), up(after, at); !slices.Equal(got, want) {
			t.Errorf("at minute %d: %v up from the folded history, %v from the whole one", m, got, want)
		}
	}
	var kept []int64
	for _, e := range before {
		if !e.Time.Before(fold) {
			kept = append(kept, e.ID)
		}
	}
	var gotKept []int64
	for _, e := range after {
		if !e.Time.Before(fold) {
			gotKept = append(gotKept, e.ID)
		}
	}
	if !slices.Equal(gotKept, kept) {
		t.Errorf("events after the fold: ids %v, want %v untouched", gotKept, kept)
	}
	hs, err := fs.FleetHosts(ctx(t))
	if err != nil || len(hs) != 1 || !hs[0].HistorySince.Equal(fold) {
		t.Fatalf("hosts after the fold: %+v, %v; want HistorySince %s", hs, err, fold)
	}
	if n, err := fs.CompactFleetEvents(ctx(t), fold); err != nil || n != 0 {
		t.Errorf("a second fold at the same time removed %d, %v; want 0", n, err)
	}
}
