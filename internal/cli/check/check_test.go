package check

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
)

func run(o *Options) (string, string, int) {
	ios, _, out, errOut := iostreams.Test()
	o.IO = ios
	o.Registry = func() (*registry.Registry, error) { return registry.Embedded(), nil }
	if o.Timeout == 0 {
		o.Timeout = 500 * time.Millisecond
	}
	err := Run(context.Background(), o)
	return out.String(), errOut.String() + cmdutil.Message(err), cmdutil.ExitCode(err)
}

func lookup(_ context.Context, host string) ([]netip.Addr, error) {
	if host == "dual.test" {
		return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, portolan.Errorf(portolan.ENOTFOUND, "no such host")
}

// rows maps "target port address" to the state column.
func rows(out string) map[string]string {
	m := map[string]string{}
	for l := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 6 {
			m[f[0]+" "+f[2]+" "+f[1]] = f[3]
		}
	}
	return m
}

func TestCheckLoopback(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := portolan.Port(l.Addr().(*net.TCPAddr).Port).String()
	// dual.test is v6 first; only the v4 address listens: the target is
	// open (one address accepts), and each address gets its own row.
	out, msg, code := run(&Options{Lookup: lookup, Args: []string{"dual.test:" + p, "127.0.0.1:" + p}})
	r := rows(out)
	if code != 0 || r["dual.test "+p+" 127.0.0.1"] != "open" || r["dual.test "+p+" ::1"] != "closed" || r["127.0.0.1 "+p+" 127.0.0.1"] != "open" {
		t.Errorf("exit %d %s\n%s", code, msg, out)
	}
	l.Close()
	out, _, code = run(&Options{Lookup: lookup, Args: []string{"[::1]:" + p, "nx.test:80"}})
	r = rows(out)
	if code != 1 || r["::1 "+p+" ::1"] != "closed" || r["nx.test 80 "] != "error" {
		t.Errorf("closed and unresolvable: exit %d\n%s", code, out)
	}
	if _, msg, code := run(&Options{Args: []string{"localhost"}}); code != 2 || !strings.Contains(msg, `"localhost"`) {
		t.Errorf("no port: exit %d %q", code, msg)
	}
}

// `check HOST:-` asks for all 65,535 ports; deciding the exit code must not
// compare every port with every result (21 s of CPU before; a map now).
func TestAllOpenIsLinear(t *testing.T) {
	hp := probe.HostPort{Host: "127.0.0.1"}
	res := make([]probe.Result, 0, 65535)
	for p := portolan.Port(1); p != 0; p++ {
		hp.Ports = append(hp.Ports, p)
		res = append(res, probe.Result{Target: "127.0.0.1", Port: p, State: probe.Open})
	}
	start := time.Now()
	if !allOpen([]probe.HostPort{hp}, res) {
		t.Fatal("every port open, yet allOpen is false")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("allOpen over 65,535 ports took %v", d)
	}
	res[40000].State = probe.Closed
	if allOpen([]probe.HostPort{hp}, res) {
		t.Error("one port closed, yet allOpen is true")
	}
	// Another target's open port does not count.
	res[40000] = probe.Result{Target: "::1", Port: res[40000].Port, State: probe.Open}
	if allOpen([]probe.HostPort{hp}, res) {
		t.Error("the port is open on another target only, yet allOpen is true")
	}
}
