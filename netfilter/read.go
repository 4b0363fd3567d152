package netfilter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Read reads this network namespace's firewall: nftables (with the rules
// iptables-nft wrote) through `nft -j list ruleset`, and iptables-legacy
// through iptables-legacy-save and ip6tables-legacy-save when they hold
// rules. A ruleset it cannot read (not root, no nft) comes back with Err
// set, and every Check is Unknown.
func Read(ctx context.Context) *Ruleset {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := run(ctx, "nft", "-j", "list", "ruleset")
	if err != nil {
		return &Ruleset{Err: err}
	}
	rs, err := ParseNFT(out)
	if err != nil {
		return &Ruleset{Err: err}
	}
	// iptables-nft's matches show in nft's JSON as opaque "xt"
	// expressions; its own save command spells them out.
	if bytes.Contains(out, []byte(`"xt"`)) {
		for fam, cmd := range map[string]string{"ip": "iptables-nft-save", "ip6": "ip6tables-nft-save"} {
			if b, err := run(ctx, cmd); err == nil && len(b) > 0 {
				rs.dropTables(fam, string(b))
				ParseIPTablesSave(rs, string(b), fam, "")
			}
		}
	}
	// Only when the legacy tables exist: running the save command could
	// otherwise load the legacy modules.
	for fam, names := range map[string]string{"ip": "ip_tables_names", "ip6": "ip6_tables_names"} {
		cmd := map[string]string{"ip": "iptables-legacy-save", "ip6": "ip6tables-legacy-save"}[fam]
		if b, err := os.ReadFile("/proc/thread-self/net/" + names); err != nil || len(b) == 0 {
			continue
		}
		if _, err := exec.LookPath(cmd); err != nil {
			continue
		}
		b, err := run(ctx, cmd)
		if err != nil {
			continue // the legacy modules are not loaded: no legacy rules
		}
		if strings.Contains(string(b), "\n-A ") || strings.Contains(string(b), " DROP [") {
			ParseIPTablesSave(rs, string(b), fam, "legacy-")
		}
	}
	return rs
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("%s: %s", name, strings.TrimSpace(stderr.String()))
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
