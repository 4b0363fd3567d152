package assignment_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	"github.com/portolan-dev/portolan/internal/memstore"
)

func newService() (*assignment.Service, *[]portolan.Conflict) {
	var seen []portolan.Conflict
	var mu sync.Mutex
	pg := portolan.Service{Name: "postgresql", Proto: portolan.TCP, Ports: portolan.SinglePort(5432), HasPort: true}
	return &assignment.Service{
		Store: memstore.New(),
		IANA: func(p portolan.Port, proto portolan.Proto) []portolan.Service {
			if p == 5432 {
				return []portolan.Service{pg}
			}
			return nil
		},
		Ephemeral: portolan.CommonEphemeral,
		OnConflict: func(c portolan.Conflict) {
			mu.Lock()
			seen = append(seen, c)
			mu.Unlock()
		},
	}, &seen
}

func TestAssignChecksAndStores(t *testing.T) {
	ctx := context.Background()
	s, seen := newService()
	a := &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", CreatedBy: "alice"}
	cs, err := s.Assign(ctx, a, false)
	if err != nil || len(cs) != 0 || a.ID == 0 {
		t.Fatalf("Assign(7001/tcp) = %v, %v (id %d); want stored without conflicts", cs, err, a.ID)
	}
	// The same port and protocol again: refused even with force, and explained.
	cs, err = s.Assign(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ledger"}, true)
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "already assigned to billing (owner payments)") {
		t.Fatalf("duplicate Assign error = %v; want ECONFLICT naming billing", err)
	}
	if len(cs) != 1 || cs[0].Kind != portolan.ConflictAssigned {
		t.Fatalf("duplicate conflicts = %+v", cs)
	}
	// Another protocol on the same port is a different assignment.
	if _, err := s.Assign(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.UDP, Name: "billing"}, false); err != nil {
		t.Fatalf("7001/udp: %v", err)
	}
	// IANA's postgresql needs --force.
	_, err = s.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing-db"}, false)
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("5432/tcp without force: %v; want ECONFLICT mentioning --force", err)
	}
	cs, err = s.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing-db"}, true)
	if err != nil || len(cs) != 1 || cs[0].Kind != portolan.ConflictIANA {
		t.Fatalf("5432/tcp with force = %+v, %v; want stored with the IANA warning", cs, err)
	}
	// Ephemeral warnings do not block.
	cs, err = s.Assign(ctx, &portolan.Assignment{Port: 50000, Proto: portolan.TCP, Name: "cache"}, false)
	if err != nil || len(cs) != 2 {
		t.Fatalf("50000/tcp = %+v, %v; want stored with two ephemeral warnings", cs, err)
	}
	as, _ := s.Assignments(ctx, portolan.AssignmentFilter{})
	if len(as) != 4 {
		t.Fatalf("stored %d assignments, want 4: %+v", len(as), as)
	}
	if len(*seen) != 1+1+1+2 {
		t.Errorf("OnConflict saw %d conflicts, want 5: %+v", len(*seen), *seen)
	}
	if err := s.Unassign(ctx, 7001, portolan.TCP, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unassign(ctx, 7001, portolan.TCP, "bob"); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Fatalf("second Unassign = %v, want ENOTFOUND", err)
	}
	audit, _ := s.Audit(ctx, 1)
	if len(audit) != 1 || audit[0].Action != "unassign" || audit[0].Actor != "bob" || audit[0].Subject != "7001/tcp" {
		t.Fatalf("newest audit entry = %+v; want bob's unassign of 7001/tcp", audit)
	}
}

func TestAssignValidates(t *testing.T) {
	s, _ := newService()
	for _, tc := range []struct {
		a    portolan.Assignment
		want string
	}{
		{portolan.Assignment{Port: 7001, Name: "x1"}, "needs a protocol: want PORT/PROTO, e.g. 7001/tcp"},
		{portolan.Assignment{Port: 0, Proto: portolan.TCP, Name: "x1"}, "port 0 cannot be assigned"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "bad name"}, `service name "bad name" is not valid`},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "a--b"}, "is not valid"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "-ab"}, "is not valid"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "123"}, "is not valid"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Hosts: "db-[*"}, `hosts glob "db-[*" is malformed`},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Note: strings.Repeat("n", 2000)}, "note is 2000 bytes long"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Owner: "team\x00root"}, "owner has a control character (U+0000 at byte 4): want printable text on one line"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Note: "line one\nforged row"}, "note has a control character (U+000A at byte 8)"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Note: "\x1b[31mred"}, "note has a control character (U+001B"},
		{portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ok", Owner: "caf\xe9"}, "owner is not valid UTF-8"},
	} {
		_, err := s.Assign(context.Background(), &tc.a, true)
		if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Assign(%+v) = %v; want EINVALID containing %q", tc.a, err, tc.want)
		}
	}
}

// Many writers on one port: the store decides, exactly one wins, and every
// loser is told who holds the port.
func TestAssignRace(t *testing.T) {
	s, _ := newService()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Assign(context.Background(), &portolan.Assignment{Port: 7100, Proto: portolan.TCP, Name: "svc" + string(rune('a'+i))}, false)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "already assigned to svc"):
			t.Errorf("loser error = %v; want ECONFLICT naming the winner", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won 7100/tcp, want exactly 1", wins)
	}
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"billing-db", "a", "x11", "-a", "a-", "a--b", "whois++", "", "ÿ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if assignment.ValidName(s) != nil {
			return
		}
		if len(s) > 63 || strings.ContainsAny(s, " \t\n/#") || strings.HasPrefix(s, "-") || strings.Contains(s, "--") {
			t.Fatalf("ValidName accepted %q", s)
		}
	})
}

func TestConflictsOfStoredAssignment(t *testing.T) {
	ctx := context.Background()
	s := assignment.New(memstore.New(), nil, portolan.MustParseRange("32768-60999"), 1024)
	a := &portolan.Assignment{Port: 40000, Proto: portolan.TCP, Name: "cache"}
	if _, err := s.Assign(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Conflicts(ctx, *a)
	if err != nil || len(cs) != 1 || cs[0].Kind != portolan.ConflictEphemeral || !strings.Contains(cs[0].Message, "this host's ephemeral range") {
		t.Fatalf("Conflicts(stored 40000/tcp) = %+v, %v; want only the ephemeral warning, not itself", cs, err)
	}
}
