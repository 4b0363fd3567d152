package netfilter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// raw is what the commands print: nft's JSON and, when it holds opaque
// iptables-nft matches, iptables-nft-save's text per family.
type raw struct {
	NFT  json.RawMessage   `json:"nft"`
	Save map[string]string `json:"save,omitempty"` // family -> iptables-nft-save output
}

// Read reads this network namespace's firewall: nftables (with the rules
// iptables-nft wrote) through `nft -j list ruleset`, and iptables-legacy
// through iptables-legacy-save and ip6tables-legacy-save when they hold
// rules. A ruleset it cannot read (not root, no nft) comes back with Err
// set, and every Check is Unknown.
//
// As root, the nftables part is cached in the user's cache directory under
// the namespace's cookie and nftables generation, which every change to
// the ruleset bumps: the next process skips the exec of nft (a few
// milliseconds, most of `ls --exposure`'s extra cost).
func Read(ctx context.Context) *Ruleset {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	gen, cookie, cacheable := generation()
	cacheable = cacheable && os.Geteuid() == 0
	var path string
	if cacheable {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, "portolan", fmt.Sprintf("nft-%d-%d.json", cookie, gen))
		}
	}
	var r raw
	b, err := readCache(path)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil || len(r.NFT) == 0 {
		if r, err = readRaw(ctx); err != nil {
			return &Ruleset{Err: err}
		}
		// Cache only what was read in one generation: a change made
		// while the commands ran must not be cached under the old one.
		if g2, _, ok := generation(); path != "" && ok && g2 == gen {
			writeCache(path, cookie, r)
		}
	}
	rs, err := ParseNFT(r.NFT)
	if err != nil {
		return &Ruleset{Err: err}
	}
	for fam, out := range r.Save {
		rs.dropTables(fam, out)
		ParseIPTablesSave(rs, out, fam, "")
	}
	readLegacy(ctx, rs)
	return rs
}

func readRaw(ctx context.Context) (raw, error) {
	out, err := run(ctx, "nft", "-j", "list", "ruleset")
	if err != nil {
		return raw{}, err
	}
	r := raw{NFT: out}
	// iptables-nft's matches show in nft's JSON as opaque "xt"
	// expressions; its own save command spells them out.
	if bytes.Contains(out, []byte(`"xt"`)) {
		for fam, cmd := range map[string]string{"ip": "iptables-nft-save", "ip6": "ip6tables-nft-save"} {
			if b, err := run(ctx, cmd); err == nil && len(b) > 0 {
				if r.Save == nil {
					r.Save = map[string]string{}
				}
				r.Save[fam] = string(b)
			}
		}
	}
	return r, nil
}

// readLegacy adds iptables-legacy's rules, only when the legacy tables
// exist: running the save command could otherwise load the legacy modules.
func readLegacy(ctx context.Context, rs *Ruleset) {
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
			continue
		}
		if strings.Contains(string(b), "\n-A ") || strings.Contains(string(b), " DROP [") {
			ParseIPTablesSave(rs, string(b), fam, "legacy-")
		}
	}
}

// readCache reads a cache file only if it is a regular file this user
// owns and nobody else may write.
func readCache(path string) ([]byte, error) {
	if path == "" {
		return nil, os.ErrNotExist
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || !ownedBySelf(fi) {
		return nil, errors.New("untrusted cache file")
	}
	return os.ReadFile(path)
}

// writeCache stores r and removes this namespace's older generations.
func writeCache(path string, cookie uint64, r raw) {
	dir := filepath.Dir(path)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	old, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("nft-%d-*.json", cookie)))
	tmp, err := os.CreateTemp(dir, ".nft-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
		return
	}
	for _, o := range old {
		if o != path {
			os.Remove(o)
		}
	}
	// Namespaces come and go (each has its own cookie): entries a day
	// old are dropped.
	all, _ := filepath.Glob(filepath.Join(dir, "nft-*.json"))
	for _, o := range all {
		if fi, err := os.Stat(o); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			os.Remove(o)
		}
	}
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
