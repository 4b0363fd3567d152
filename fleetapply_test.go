package portolan

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// apply applies ch to rec, as a store would.
func apply(rec HostRecord, ch HostChange) HostRecord {
	rec.Host = ch.Host
	if rec.Listeners == nil {
		rec.Listeners = map[ListenerKey]FleetListener{}
	}
	if rec.Drift == nil {
		rec.Drift = map[DriftKey]DriftItem{}
	}
	for _, l := range ch.PutListeners {
		rec.Listeners[l.ListenerKey] = l
	}
	for _, k := range ch.DropListeners {
		delete(rec.Listeners, k)
	}
	for _, d := range ch.PutDrift {
		rec.Drift[d.DriftKey] = d
	}
	for _, k := range ch.DropDrift {
		delete(rec.Drift, k)
	}
	return rec
}

func lst(port Port, program string) FleetListener {
	return FleetListener{ListenerKey: ListenerKey{Proto: TCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: port}, Program: program, Reach: ReachAll}
}

func kinds(evs []FleetEvent) []string {
	var out []string
	for _, e := range evs {
		s := string(e.Kind)
		if e.Drift != "" {
			s += ":" + string(e.Drift)
		}
		out = append(out, s)
	}
	return out
}

type fleetSim struct {
	t     *testing.T
	rec   HostRecord
	known bool
	seq   uint64
	plan  []Assignment
	now   time.Time
}

func (s *fleetSim) report(full bool, ls []FleetListener) []string {
	s.t.Helper()
	s.seq++
	rep := FleetReport{HostID: "m1", HostName: "web-1", Interval: time.Second, Seq: s.seq, Full: full, Listeners: ls, Base: s.rec.Host.Seq}
	s.now = s.now.Add(time.Second)
	ch, ack := ApplyReport(s.rec, s.known, rep, s.plan, s.now)
	if ack.Resync {
		s.t.Fatalf("report %d: resync asked", s.seq)
	}
	s.rec, s.known = apply(s.rec, ch), true
	return kinds(ch.Events)
}

func TestApplyReportTwoReportRule(t *testing.T) {
	s := &fleetSim{t: t, now: time.Unix(1e9, 0)}
	if got := s.report(true, []FleetListener{lst(8080, "/usr/bin/app")}); !slices.Equal(got, []string{"host-new"}) {
		t.Fatalf("first report events %v, want [host-new]", got)
	}
	if l := s.rec.Listeners[lst(8080, "").ListenerKey]; l.Phase != PhaseNew {
		t.Fatalf("after one report phase %q, want new", l.Phase)
	}
	if got := s.report(false, nil); !slices.Equal(got, []string{"listener-up", "drift:unregistered"}) {
		t.Fatalf("heartbeat events %v, want listener-up and unregistered drift", got)
	}
	// A restart across one poll: absent once, back at the next.
	if got := s.report(true, nil); len(got) != 0 {
		t.Fatalf("one absence gave events %v", got)
	}
	if got := s.report(true, []FleetListener{lst(8080, "/usr/bin/app")}); len(got) != 0 {
		t.Fatalf("back after one absence gave events %v", got)
	}
	// Gone for good: two reports without it.
	s.report(true, nil)
	if got := s.report(false, nil); !slices.Equal(got, []string{"listener-down", "drift-cleared:unregistered"}) {
		t.Fatalf("second absence events %v", got)
	}
	if len(s.rec.Listeners) != 0 || len(s.rec.Drift) != 0 {
		t.Fatalf("record keeps %v %v", s.rec.Listeners, s.rec.Drift)
	}
	// A listener seen once and gone never counted.
	s.report(true, []FleetListener{lst(9000, "x")})
	if got := s.report(true, nil); len(got) != 0 {
		t.Fatalf("a one-report blip gave events %v", got)
	}
}

func TestApplyReportDeltaOutOfStepAsksFull(t *testing.T) {
	s := &fleetSim{t: t, now: time.Unix(1e9, 0)}
	s.report(true, []FleetListener{lst(22, "sshd")})
	rep := FleetReport{HostID: "m1", HostName: "web-1", Seq: 9, Base: 7, Added: []FleetListener{lst(80, "nginx")}}
	ch, ack := ApplyReport(s.rec, true, rep, nil, s.now.Add(time.Second))
	if !ack.Resync || len(ch.PutListeners) != 0 || ack.Seq != s.rec.Host.Seq {
		t.Fatalf("out-of-step delta: ack %+v, puts %v", ack, ch.PutListeners)
	}
	if !ch.Host.LastSeen.After(s.rec.Host.LastSeen) {
		t.Fatal("an out-of-step delta still counts as a heartbeat")
	}
	// A delta on the right base adds.
	rep.Base, rep.Seq = s.rec.Host.Seq, s.rec.Host.Seq+1
	ch, ack = ApplyReport(s.rec, true, rep, nil, s.now.Add(time.Second))
	if ack.Resync || len(ch.PutListeners) != 2 {
		t.Fatalf("in-step delta: ack %+v, puts %v", ack, ch.PutListeners)
	}
}

func TestDriftKinds(t *testing.T) {
	plan := []Assignment{
		{Port: 5432, Proto: TCP, Name: "postgres", Hosts: "db-*"},
		{Port: 6379, Proto: TCP, Name: "redis", Scope: ScopeLoopbackOnly},
		{Port: 7074, Proto: TCP, Name: "billing-api"},
		{Port: 9999, Proto: TCP, Name: "elsewhere", Hosts: "other-*"},
	}
	h := FleetHost{ID: "m1", Name: "db-1"}
	ls := map[ListenerKey]FleetListener{}
	for _, l := range []FleetListener{
		lst(5432, "/usr/lib/postgresql/15/bin/postgres"),
		lst(6379, "container redis-cache-1 (compose shop/redis)"),
		lst(8080, "/usr/bin/python3"),
		lst(60000, "/usr/bin/python3"),
		lst(9999, "x"),
	} {
		ls[l.ListenerKey] = l
	}
	got := Drift(h, ls, plan)
	want := map[DriftKey]bool{
		{DriftExposed, TCP, 6379}:      true,
		{DriftDown, TCP, 7074}:         true,
		{DriftUnregistered, TCP, 8080}: true,
		{DriftUnregistered, TCP, 9999}: true, // its assignment is for other hosts
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected drift %+v: %s", k, got[k].Detail)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missing drift %+v", k)
		}
	}
	ls[lst(5432, "").ListenerKey] = lst(5432, "/usr/bin/nc")
	if d, ok := Drift(h, ls, plan)[DriftKey{DriftForeign, TCP, 5432}]; !ok || d.Program != "/usr/bin/nc" {
		t.Errorf("nc on postgres's port: foreign drift %+v, %v", d, ok)
	}
}

func TestHostState(t *testing.T) {
	now := time.Unix(1e9, 0)
	h := FleetHost{Interval: 10 * time.Second, LastSeen: now}
	for _, c := range []struct {
		after time.Duration
		want  HostState
	}{{0, HostFresh}, {30 * time.Second, HostFresh}, {31 * time.Second, HostStale}, {101 * time.Second, HostGone}} {
		if got := h.StateAt(now.Add(c.after)); got != c.want {
			t.Errorf("after %v: %s, want %s", c.after, got, c.want)
		}
	}
}

func TestValidHostID(t *testing.T) {
	long := strings.Repeat("a", 128)
	for id, want := range map[string]bool{
		"3f2c9a0e1b7d4c6f8a5e2d1c0b9a8f7e": true, "db-1.example:eu_west": true, long: true,
		"": false, long + "a": false, "-db": false, ".db": false, "db 1": false, "db/1": false, "dé": false,
	} {
		if got := ValidHostID(id); got != want {
			t.Errorf("ValidHostID(%q) = %v, want %v", id, got, want)
		}
	}
}
