package why

import "testing"

func TestCapEffHas(t *testing.T) {
	for _, c := range []struct {
		status string
		want   bool
	}{
		{"Name:\tx\nCapEff:\t000001ffffffffff\n", true},
		{"CapEff:\t0000000000000400\n", true}, // CAP_NET_BIND_SERVICE alone
		{"CapEff:\t0000000000000000\n", false},
		{"CapEff:\tzz\n", false},
		{"Name:\tx\n", false},
	} {
		if got := capEffHas(c.status, 10); got != c.want {
			t.Errorf("capEffHas(%q) = %v; want %v", c.status, got, c.want)
		}
	}
}
