package exposure

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/privcache"
	"github.com/portolan-dev/portolan/sockets"
)

// With PORTOLAN_EXPOSURE_CHILD set the test binary runs `exposure --json`
// with that --fail-on (inside the namespace `ip netns exec` put it in).
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv("PORTOLAN_EXPOSURE_CHILD"); ok {
		ios, _, out, errb := iostreams.Test()
		o := &Options{IO: ios, List: sockets.List, JSON: true}
		if f := os.Getenv("PORTOLAN_EXPOSURE_CHILD"); f != "" {
			o.FailOn = []string{f}
		}
		err := Run(context.Background(), o)
		os.Stdout.Write(out.Bytes())
		os.Stderr.Write(errb.Bytes())
		if err != nil {
			fmt.Fprintln(os.Stderr, cmdutil.Message(err))
			os.Exit(cmdutil.ExitCode(err))
		}
		os.Exit(0)
	}
	os.Exit(privcache.Run(m))
}

func run(t *testing.T, ns *testnet.NS, exe, failOn string, prefix ...string) (Result, int) {
	t.Helper()
	if exe == "" {
		exe, _ = os.Executable()
	}
	cmd := exec.Command("ip", append(append([]string{"netns", "exec", ns.Name}, prefix...), exe)...)
	cmd.Env = append(os.Environ(), "PORTOLAN_EXPOSURE_CHILD="+failOn)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, out.Bytes(), errb.Bytes())
	}
	return r, code
}

func byPort(r Result) map[string]portolan.Exposure {
	m := map[string]portolan.Exposure{}
	for _, e := range r.Listeners {
		m[e.Socket.Local.String()] = e
	}
	return m
}

// In a namespace whose one link has a private address: a loopback-only
// Redis, a wildcard PostgreSQL behind an nft DROP, a wildcard MongoDB with
// no rule, and a Docker-published 8080 (a DNAT rule in nat PREROUTING's
// DOCKER chain). Root reads the ruleset; uid 65534 cannot, and gets
// "unknown", never "allow".
func TestExposure(t *testing.T) {
	if why := testnet.Available(); why != "" {
		t.Skip(why)
	}
	ns, err := testnet.Create(testnet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(`table inet filter {
 chain input { type filter hook input priority 0; policy accept; tcp dport 5432 drop; }
}
table ip nat {
 chain PREROUTING { type nat hook prerouting priority -100; fib daddr type local jump DOCKER; }
 chain DOCKER { iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80; }
}
`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
	for _, a := range []string{"127.0.0.1:6379", "0.0.0.0:5432", "0.0.0.0:27017", "0.0.0.0:8080"} {
		var l net.Listener
		if err := ns.Do(func() (err error) { l, err = net.Listen("tcp4", a); return }); err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	r, code := run(t, ns, "", "")
	if code != 0 {
		t.Fatalf("exit %d without --fail-on", code)
	}
	m := byPort(r)
	for addr, w := range map[string]struct {
		reach portolan.Reach
		fw    string
	}{
		"127.0.0.1:6379": {portolan.ReachLoopback, ""},
		"0.0.0.0:5432":   {portolan.ReachLAN, "deny"},
		"0.0.0.0:27017":  {portolan.ReachLAN, "allow"},
		"0.0.0.0:8080":   {portolan.ReachLAN, "docker-dnat"},
	} {
		if e := m[addr]; e.Reach != w.reach || e.Firewall != w.fw {
			t.Errorf("%s: reach %s, firewall %q (%s); want %s, %q", addr, e.Reach, e.Firewall, e.Rule, w.reach, w.fw)
		}
	}
	// The hardening check: 6379 is loopback and 5432 denied, so they pass;
	// 27017 reaches the LAN; nothing reaches "all" on a private-only host.
	if _, code := run(t, ns, "", "lan:6379,5432"); code != 0 {
		t.Errorf("--fail-on lan:6379,5432: exit %d; want 0", code)
	}
	if r, code := run(t, ns, "", "lan:27017,8080"); code != 1 || len(r.Failed) != 2 {
		t.Errorf("--fail-on lan:27017,8080: exit %d, failed %+v; want 1 and both", code, r.Failed)
	}
	if _, code := run(t, ns, "", "all:27017"); code != 0 {
		t.Errorf("--fail-on all:27017: exit %d; want 0 (no public address)", code)
	}
	// Not root: the ruleset cannot be read.
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	self, _ := os.Executable()
	b, _ := os.ReadFile(self)
	exe := filepath.Join(dir, "exposure.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	u, code := run(t, ns, exe, "lan:5432", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--")
	for _, e := range u.Listeners {
		if e.Reach != portolan.ReachLoopback && e.Firewall != "unknown" {
			t.Errorf("unprivileged: %s firewall %q; want unknown", e.Socket.Local, e.Firewall)
		}
	}
	if code != 1 {
		t.Errorf("unprivileged --fail-on lan:5432: exit %d; want 1 (an unknown firewall counts as reachable)", code)
	}
}

func TestFailOnBadInput(t *testing.T) {
	for _, s := range []string{"wan:1", "lan:", "lan:0", "all:70000", "5432"} {
		ios, _, _, _ := iostreams.Test()
		err := Run(context.Background(), &Options{IO: ios, FailOn: []string{s}, List: sockets.List})
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "--fail-on") {
			t.Errorf("--fail-on %s: exit %d %q; want 2 naming it", s, cmdutil.ExitCode(err), cmdutil.Message(err))
		}
	}
}
