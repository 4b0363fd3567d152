package netfilter

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testnet"
)

func newNS(t *testing.T) *testnet.NS {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft; scripts/install-deps.sh installs it")
	}
	return testnet.New(t, testnet.Options{})
}

func nft(t *testing.T, ns *testnet.NS, script string) {
	t.Helper()
	if err := ns.NFT(script); err != nil {
		t.Fatal(err)
	}
}

func readIn(t *testing.T, ns *testnet.NS) *Ruleset {
	t.Helper()
	var rs *Ruleset
	if err := ns.Do(func() error { rs = Read(context.Background()); return rs.Err }); err != nil {
		t.Fatal(err)
	}
	return rs
}

// An nft input chain with a drop policy, ACCEPT, REJECT and DROP rules, a
// loopback-only accept and a rule for some sources only; and a Docker-like
// DNAT (nat PREROUTING jumps to DOCKER, which DNATs 8080).
func TestNFTRuleset(t *testing.T) {
	ns := newNS(t)
	nft(t, ns, `table inet filter {
 chain input {
  type filter hook input priority 0; policy drop;
  ct state established,related accept
  iifname "lo" accept
  tcp dport { 22, 80 } accept
  udp dport 53 accept
  tcp dport 1000-2000 reject with tcp reset
  ip saddr 10.0.0.0/8 tcp dport 3000 accept
  ip saddr 10.0.0.0/8 tcp dport 443 drop
  tcp dport 443 accept
 }
}
table ip nat {
 chain PREROUTING { type nat hook prerouting priority -100; fib daddr type local jump DOCKER; }
 chain DOCKER { iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80; }
}
`)
	rs := readIn(t, ns)
	check(t, rs, []want{
		{portolan.TCP, 22, 4, Allow, ""},
		{portolan.TCP, 80, 6, Allow, ""},
		{portolan.UDP, 53, 4, Allow, ""},
		{portolan.TCP, 53, 4, Deny, "policy drop"},
		{portolan.TCP, 1500, 4, Deny, "reject"},
		{portolan.TCP, 3000, 4, Allow, "saddr"}, // reachable from 10/8
		{portolan.TCP, 443, 4, Allow, "tcp dport 443 accept"},
		{portolan.TCP, 5432, 4, Deny, "policy drop"},
		{portolan.TCP, 8080, 4, DockerDNAT, "dnat"},
		{portolan.TCP, 8080, 6, Deny, "policy drop"}, // the DNAT is IPv4 only
	})
}

// iptables (nf_tables backend here) DROP, REJECT and ACCEPT rules, and a
// DOCKER chain in nat PREROUTING as Docker writes it.
func TestIPTablesNFT(t *testing.T) {
	ns := newNS(t)
	for _, args := range [][]string{
		{"-A", "INPUT", "-p", "tcp", "--dport", "5432", "-j", "DROP"},
		{"-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "6379,27017", "-j", "REJECT", "--reject-with", "tcp-reset"},
		{"-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
		{"-t", "nat", "-N", "DOCKER"},
		{"-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"},
		{"-t", "nat", "-A", "DOCKER", "!", "-i", "docker0", "-p", "tcp", "-m", "tcp", "--dport", "9000", "-j", "DNAT", "--to-destination", "172.17.0.2:9000"},
	} {
		if _, err := ns.Exec("iptables", args...); err != nil {
			t.Fatal(err)
		}
	}
	rs := readIn(t, ns)
	check(t, rs, []want{
		{portolan.TCP, 5432, 4, Deny, "5432"},
		{portolan.TCP, 6379, 4, Deny, ""},
		{portolan.TCP, 27017, 4, Deny, ""},
		{portolan.TCP, 22, 4, Allow, ""},
		{portolan.TCP, 8000, 4, Allow, ""},
		{portolan.TCP, 9000, 4, DockerDNAT, ""},
	})
}

// A ruleset that cannot be read is unknown, never allowed.
func TestUnreadableIsUnknown(t *testing.T) {
	rs := &Ruleset{Err: exec.ErrNotFound}
	if got := rs.Check(portolan.TCP, 22, 4); got.Verdict != Unknown {
		t.Errorf("Check = %+v; want unknown", got)
	}
	var none *Ruleset
	if got := none.Check(portolan.TCP, 22, 4); got.Verdict != Unknown {
		t.Errorf("nil Check = %+v; want unknown", got)
	}
}

// As root the nftables part is cached under the namespace's cookie and
// generation: a second read answers the same from the cache, and a rule
// added afterwards (a new generation) is seen at once.
func TestCacheFollowsGeneration(t *testing.T) {
	ns := newNS(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	nft(t, ns, "table inet filter {\n chain input { type filter hook input priority 0; policy accept; tcp dport 22 accept; }\n}\n")
	check(t, readIn(t, ns), []want{{portolan.TCP, 5432, 4, Allow, ""}})
	files, _ := filepath.Glob(filepath.Join(cache, "portolan", "nft-*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files = %v; want one", files)
	}
	check(t, readIn(t, ns), []want{{portolan.TCP, 5432, 4, Allow, ""}, {portolan.TCP, 22, 4, Allow, "dport 22 accept"}})
	if _, err := ns.Exec("nft", "add", "rule", "inet", "filter", "input", "tcp", "dport", "5432", "drop"); err != nil {
		t.Fatal(err)
	}
	check(t, readIn(t, ns), []want{{portolan.TCP, 5432, 4, Deny, "5432 drop"}})
	files, _ = filepath.Glob(filepath.Join(cache, "portolan", "nft-*.json"))
	if len(files) != 1 {
		t.Errorf("cache files = %v; want the old generation removed", files)
	}
	// A cache file another user could write is not trusted.
	os.Chmod(files[0], 0o666)
	os.WriteFile(files[0], []byte(`{"nft":{"nftables":[]}}`), 0o666)
	check(t, readIn(t, ns), []want{{portolan.TCP, 5432, 4, Deny, "5432 drop"}})
}
