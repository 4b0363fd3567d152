package netfilter

import (
	"os"
	"testing"
)

func TestGeneration(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	g, c, ok := generation()
	t.Logf("gen %d cookie %d ok %v", g, c, ok)
	if !ok {
		t.Fatal("no nftables generation")
	}
}
