package portolan

import (
	"slices"
	"testing"
)

func TestBrowserRestricted(t *testing.T) {
	if !slices.IsSorted(unsafePorts[:]) {
		t.Fatal("unsafePorts must be sorted")
	}
	for _, p := range []Port{6000, 6667, 10080, 1, 25, 5060} {
		if !BrowserRestricted(p) {
			t.Errorf("BrowserRestricted(%d) = false", p)
		}
	}
	for _, p := range []Port{0, 80, 443, 3000, 5173, 8080, 65535, 10081} {
		if BrowserRestricted(p) {
			t.Errorf("BrowserRestricted(%d) = true", p)
		}
	}
	u := UnsafePorts()
	u[0] = 9999
	if unsafePorts[0] != 1 {
		t.Error("UnsafePorts shares its array")
	}
}
