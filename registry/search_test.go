package registry

import "testing"

// What people type for a port often is not in IANA's text: 3389 is
// "ms-wbt-server", "MS WBT Server". The curated common uses bridge it.
func TestSearchThroughCommonUses(t *testing.T) {
	r := Embedded()
	for _, q := range []string{"remote desktop", "Remote Desktop", "rdp"} {
		hits := r.Search(q, 5)
		found := -1
		for i, h := range hits {
			if h.Name == "ms-wbt-server" && h.Ports.Lo == 3389 {
				found = i
				break
			}
		}
		if found != 0 {
			t.Errorf("search %q: ms-wbt-server 3389 at %d of the first 5 (-1: absent), want first: %+v", q, found, hits)
		}
	}
	// A word the common uses do not hold changes nothing.
	if hits := r.Search("secure shell", 3); len(hits) == 0 || hits[0].Name != "ssh" {
		t.Errorf("search secure shell: %+v", hits)
	}
	// Limits still hold with the extra hits.
	if hits := r.Search("server", 7); len(hits) != 7 {
		t.Errorf("search server limit 7: %d hits", len(hits))
	}
}
