package netfilter

import (
	"testing"

	"github.com/portolan-dev/portolan"
)

// The parsers read text other programs print; none of it may panic them,
// and a ruleset parsed from anything answers every check.
func FuzzParseIPTablesSave(f *testing.F) {
	f.Add(legacySave)
	f.Add("*filter\n-A INPUT -j\n-A X -g\n:INPUT\n-A\n")
	f.Fuzz(func(t *testing.T, s string) {
		rs := &Ruleset{}
		ParseIPTablesSave(rs, s, "ip", "")
		rs.Check(portolan.TCP, 22, 4)
	})
}

func FuzzParseNFT(f *testing.F) {
	f.Add(`{"nftables":[{"chain":{"family":"inet","table":"f","name":"in","type":"filter","hook":"input","policy":"drop"}},{"rule":{"family":"inet","table":"f","chain":"in","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":{"set":[22,{"range":[80,90]}]}}},{"jump":{"target":"in"}}]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseNFT([]byte(s))
		if err == nil {
			rs.Check(portolan.TCP, 22, 4)
			rs.Check(portolan.UDP, 85, 6)
		}
	})
}
