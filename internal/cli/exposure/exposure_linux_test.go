package exposure

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/clichild"
	"github.com/portolan-dev/portolan/internal/testutil/nobody"
	"github.com/portolan-dev/portolan/internal/testutil/privcache"
	"github.com/portolan-dev/portolan/sockets"
)

// With PORTOLAN_EXPOSURE_CHILD set the test binary runs `exposure --json`
// with that --fail-on (inside the namespace `ip netns exec` put it in).
func TestMain(m *testing.M) {
	clichild.Main("PORTOLAN_EXPOSURE_CHILD", func(failOn string, ios *iostreams.IOStreams) error {
		o := &Options{IO: ios, List: sockets.List, JSON: true}
		if failOn != "" {
			o.FailOn = []string{failOn}
		}
		return Run(context.Background(), o)
	})
	os.Exit(privcache.Run(m))
}

func run(t *testing.T, ns *testnet.NS, exe, failOn string, prefix ...string) (Result, int) {
	t.Helper()
	var r Result
	code := clichild.InNS(t, ns, exe, "PORTOLAN_EXPOSURE_CHILD", failOn, &r, prefix...)
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
	ns := testnet.New(t, testnet.Options{})
	if err := ns.NFT(testnet.DockerRules(5432, 8080)); err != nil {
		t.Fatal(err)
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
	prefix := nobody.Setpriv(t)
	u, code := run(t, ns, nobody.Exe(t, "exposure.test"), "lan:5432", prefix...)
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
