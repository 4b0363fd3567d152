package storetest

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

func assign(t *testing.T, s portolan.Store, port portolan.Port, proto portolan.Proto, name, owner string) *portolan.Assignment {
	t.Helper()
	a := &portolan.Assignment{Port: port, Proto: proto, Name: name, Owner: owner, CreatedBy: "tester"}
	if err := s.CreateAssignment(ctx(t), a); err != nil {
		t.Fatalf("CreateAssignment %d/%s: %v", port, proto, err)
	}
	return a
}

func testAssignmentRoundTrip(t *testing.T, s portolan.Store) {
	a := &portolan.Assignment{Port: 8443, Proto: portolan.TCP, Name: "billing-api", Owner: "payments",
		Note: "behind the LB", Hosts: "prod-*", CreatedBy: "bob"}
	if err := s.CreateAssignment(ctx(t), a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 {
		t.Error("ID not set")
	}
	recent(t, "Created", a.Created)
	got, err := s.Assignments(ctx(t), portolan.AssignmentFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Assignments = %v, %v; want one", got, err)
	}
	g := got[0]
	if g.ID != a.ID || g.Port != 8443 || g.Proto != portolan.TCP || g.Name != "billing-api" || g.Owner != "payments" ||
		g.Note != "behind the LB" || g.Hosts != "prod-*" || g.CreatedBy != "bob" {
		t.Errorf("read back %+v, want %+v", g, *a)
	}
	audit, err := s.Audit(ctx(t), 10)
	if err != nil || len(audit) != 1 {
		t.Fatalf("Audit = %v, %v; want one entry", audit, err)
	}
	if e := audit[0]; e.Action != "assign" || e.Subject != "8443/tcp" || e.Actor != "bob" || e.Detail != "billing-api" || e.ID == 0 {
		t.Errorf("audit entry %+v, want assign 8443/tcp by bob detail billing-api", e)
	}
	recent(t, "audit Time", audit[0].Time)
}

func testAssignmentConflict(t *testing.T, s portolan.Store) {
	assign(t, s, 5432, portolan.TCP, "orders-db", "data")
	err := s.CreateAssignment(ctx(t), &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "other"})
	wantCode(t, err, portolan.ECONFLICT)
	if msg := portolan.ErrorMessage(err); !strings.Contains(msg, "5432/tcp") || !strings.Contains(msg, "orders-db") {
		t.Errorf("conflict message %q should name 5432/tcp and the holder orders-db", msg)
	}
	// The same port on another protocol is a different assignment.
	assign(t, s, 5432, portolan.UDP, "orders-db-udp", "data")
	if audit, _ := s.Audit(ctx(t), 0); len(audit) != 2 {
		t.Errorf("audit has %d entries, want 2 (a refused create is not audited)", len(audit))
	}
}

func testAssignmentFilter(t *testing.T, s portolan.Store) {
	assign(t, s, 9000, portolan.DCCP, "d", "ops")
	assign(t, s, 9000, portolan.UDP, "u", "ops")
	assign(t, s, 9000, portolan.TCP, "t", "web")
	assign(t, s, 9000, portolan.SCTP, "s", "web")
	assign(t, s, 80, portolan.TCP, "front", "web")
	all, err := s.Assignments(ctx(t), portolan.AssignmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, a := range all {
		order = append(order, a.Port.String()+"/"+a.Proto.String())
	}
	if got, want := strings.Join(order, " "), "80/tcp 9000/tcp 9000/udp 9000/sctp 9000/dccp"; got != want {
		t.Errorf("order = %s, want %s (port, then tcp udp sctp dccp)", got, want)
	}
	p := portolan.Port(9000)
	cases := []struct {
		f    portolan.AssignmentFilter
		want string
	}{
		{portolan.AssignmentFilter{Port: &p}, "t u s d"},
		{portolan.AssignmentFilter{Owner: "web"}, "front t s"},
		{portolan.AssignmentFilter{Name: "u"}, "u"},
		{portolan.AssignmentFilter{Port: &p, Proto: portolan.SCTP}, "s"},
		{portolan.AssignmentFilter{Owner: "nobody"}, ""},
	}
	for _, c := range cases {
		got, err := s.Assignments(ctx(t), c.f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
		}
		if strings.Join(names, " ") != c.want {
			t.Errorf("filter %+v = %q, want %q", c.f, strings.Join(names, " "), c.want)
		}
	}
}

func testDeleteAssignment(t *testing.T, s portolan.Store) {
	assign(t, s, 6379, portolan.TCP, "cache", "ops")
	wantCode(t, s.DeleteAssignment(ctx(t), 6379, portolan.UDP, "carol"), portolan.ENOTFOUND)
	if err := s.DeleteAssignment(ctx(t), 6379, portolan.TCP, "carol"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteAssignment(ctx(t), 6379, portolan.TCP, "carol"), portolan.ENOTFOUND)
	if got, _ := s.Assignments(ctx(t), portolan.AssignmentFilter{}); len(got) != 0 {
		t.Errorf("assignments left after delete: %+v", got)
	}
	audit, err := s.Audit(ctx(t), 0)
	if err != nil || len(audit) != 2 {
		t.Fatalf("Audit = %+v, %v; want assign and unassign", audit, err)
	}
	if e := audit[0]; e.Action != "unassign" || e.Actor != "carol" || e.Subject != "6379/tcp" || e.Detail != "cache" {
		t.Errorf("newest audit entry %+v, want unassign 6379/tcp by carol detail cache", e)
	}
	// Reassigning after a delete works.
	assign(t, s, 6379, portolan.TCP, "cache2", "ops")
}

func testAuditOrder(t *testing.T, s portolan.Store) {
	for i := range 5 {
		assign(t, s, portolan.Port(7000+i), portolan.TCP, "svc", "")
	}
	all, err := s.Audit(ctx(t), 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("Audit(0) = %d entries, %v; want 5", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID || all[i].Time.After(all[i-1].Time) {
			t.Errorf("audit not newest first at %d: %+v after %+v", i, all[i], all[i-1])
		}
	}
	if all[0].Subject != "7004/tcp" {
		t.Errorf("newest entry %s, want 7004/tcp", all[0].Subject)
	}
	two, _ := s.Audit(ctx(t), 2)
	if len(two) != 2 || two[0].ID != all[0].ID || two[1].ID != all[1].ID {
		t.Errorf("Audit(2) = %+v, want the two newest", two)
	}
}

func testAssignmentRace(t *testing.T, s portolan.Store) {
	OneWins(t, "assigners of 3000/tcp", 16, func(int) error {
		return s.CreateAssignment(ctx(t), &portolan.Assignment{Port: 3000, Proto: portolan.TCP, Name: "racer", CreatedBy: "c"})
	})
	if audit, _ := s.Audit(ctx(t), 0); len(audit) != 1 {
		t.Errorf("audit has %d entries, want 1 for the one winner", len(audit))
	}
}
