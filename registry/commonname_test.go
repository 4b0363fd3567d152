package registry

import "testing"

func TestCommonUsesNamed(t *testing.T) {
	for name, want := range map[string]string{
		"vite": "5173", "VITE": "5173", "kafka": "9092", "postgres": "5432", "PostgreSQL": "5432",
		"mongo": "27017", "remote-desktop": "3389", "mosh": "60000-61000",
	} {
		got := Embedded().CommonUsesNamed(name)
		if len(got) != 1 || got[0].Ports.String() != want {
			t.Errorf("CommonUsesNamed(%q) = %v; want one on %s", name, got, want)
		}
	}
	if got := CommonUsesNamed("no-such-thing"); got != nil {
		t.Errorf("an unknown name: %v", got)
	}
	// Every name people type leads to a label of the table.
	for alias, label := range commonNames {
		if len(CommonUsesNamed(label)) == 0 {
			t.Errorf("%s leads to %s, which no common use is called", alias, label)
		}
	}
}

// SearchCommonUses finds the uses IANA does not list by the words people
// type, the use named by the query first.
func TestSearchCommonUses(t *testing.T) {
	first := func(q string) string {
		cu := SearchCommonUses(q)
		if len(cu) == 0 {
			return ""
		}
		return cu[0].Name + " " + cu[0].Ports.String()
	}
	for q, want := range map[string]string{"remote desktop": "rdp 3389", "vite": "vite 5173", "VITE": "vite 5173", "elasticsearch": "elasticsearch 9200"} {
		if got := first(q); got != want {
			t.Errorf("SearchCommonUses(%q) leads with %q, want %q", q, got, want)
		}
	}
	if cu := SearchCommonUses("  "); cu != nil {
		t.Errorf("blank query: %v", cu)
	}
}
