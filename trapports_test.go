package portolan

import (
	"slices"
	"testing"
)

func TestTraps(t *testing.T) {
	if !slices.IsSorted(unsafePorts[:]) {
		t.Fatal("unsafePorts must stay sorted: BrowserRestricted searches it")
	}
	for _, c := range []struct {
		p     Port
		kinds []string
	}{{6000, []string{"browser"}}, {10080, []string{"browser"}}, {6667, []string{"browser"}}, {5000, []string{"os-service"}},
		{7000, []string{"os-service"}}, {5060, []string{"browser"}}, {3000, nil}, {8080, nil}, {0, nil}, {65535, nil}} {
		var kinds []string
		for _, tr := range TrapsOf(c.p) {
			kinds = append(kinds, tr.Kind)
			if tr.Source == "" || tr.Reason == "" {
				t.Errorf("trap on %d without reason or source", c.p)
			}
		}
		if !slices.Equal(kinds, c.kinds) || IsTrap(c.p) != (c.kinds != nil) {
			t.Errorf("traps of %d = %v (IsTrap %v), want %v", c.p, kinds, IsTrap(c.p), c.kinds)
		}
	}
	if n := testing.AllocsPerRun(100, func() { TrapsOf(31000); IsTrap(31000) }); n != 0 {
		t.Errorf("a port without traps allocates %v times", n)
	}
}

// A lookup of a port says when it is a trap, and only then.
func TestLookupSaysTraps(t *testing.T) {
	l := &Lookup{}
	for q, want := range map[string]int{"6000": 1, "5000": 1, "5999-6001": 1, "6665-6669": 5, "3000": 0, "https": 0} {
		pq, err := ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		a, err := l.Answer(t.Context(), pq)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Traps) != want {
			t.Errorf("%s: %d traps %+v, want %d", q, len(a.Traps), a.Traps, want)
		}
	}
}
