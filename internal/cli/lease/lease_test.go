package leasecmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	leasecmd "github.com/portolan-dev/portolan/internal/cli/lease"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/lease/leasetest"
)

func service(t *testing.T) *lease.Allocator {
	t.Helper()
	a, _ := leasetest.Allocator(t)
	return a
}

func run(t *testing.T, a portolan.LeaseService, o leasecmd.Options) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o.IO = ios
	o.Leases = func() (portolan.LeaseService, error) { return a, nil }
	if o.Count == 0 {
		o.Count = 1
	}
	err := leasecmd.Run(context.Background(), &o)
	return out.String(), err
}

// The lease belongs to the given process and comes back when it dies.
func TestLeaseOwnedByProcess(t *testing.T) {
	a := service(t)
	owner := exec.Command("sleep", "60")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, a, leasecmd.Options{LeaseRequest: portolan.LeaseRequest{PID: owner.Process.Pid, Label: "shell", TTL: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := portolan.ParsePort(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("output %q is not a port", out)
	}
	ls, _ := a.Leases(context.Background())
	if len(ls) != 1 || ls[0].Port != p || ls[0].PID != owner.Process.Pid || ls[0].PIDStart == 0 || ls[0].Label != "shell" || ls[0].Expires.IsZero() {
		t.Fatalf("leases %+v, want %d owned by pid %d with start tick, label and TTL", ls, p, owner.Process.Pid)
	}
	owner.Process.Kill()
	owner.Wait()
	if n, _ := a.Reclaim(context.Background()); n != 1 {
		t.Errorf("reclaimed %d after the owner died, want 1", n)
	}
}

func TestLeaseErrors(t *testing.T) {
	a := service(t)
	for _, o := range []leasecmd.Options{
		{LeaseRequest: portolan.LeaseRequest{Count: -1}},
		{LeaseRequest: portolan.LeaseRequest{TTL: -time.Second}},
		{LeaseRequest: portolan.LeaseRequest{PID: -3}},
		{LeaseRequest: portolan.LeaseRequest{PID: 1 << 30}},
		{LeaseRequest: portolan.LeaseRequest{Pool: "x"}},
	} {
		if _, err := run(t, a, o); cmdutil.ExitCode(err) != 2 {
			t.Errorf("%+v: exit %d (%v), want 2", o, cmdutil.ExitCode(err), err)
		}
	}
}

func TestLeaseViaPortserver(t *testing.T) {
	a := service(t)
	addr := fmt.Sprintf("@portolan-cli-test-%d", time.Now().UnixNano())
	ln, err := lease.ListenUnix(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go lease.ServePortserver(ctx, ln, a)
	out, err := run(t, a, leasecmd.Options{Portserver: addr, LeaseRequest: portolan.LeaseRequest{PID: os.Getpid(), Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(out); len(f) != 2 || f[0] == f[1] {
		t.Fatalf("output %q, want two distinct ports", out)
	}
	ls, _ := a.Leases(context.Background())
	if len(ls) != 2 || ls[0].PID != os.Getpid() {
		t.Fatalf("leases %+v, want two owned by this process", ls)
	}
	// --json says what the portserver told: the port and the owner, no
	// made-up id or creation time.
	out, err = run(t, a, leasecmd.Options{Portserver: addr, JSON: true, LeaseRequest: portolan.LeaseRequest{PID: os.Getpid(), Count: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("lease --json printed %s: %v", out, err)
	}
	_, hasID := doc[0]["id"]
	_, hasCreated := doc[0]["created"]
	if hasID || hasCreated || doc[0]["pid"] != float64(os.Getpid()) || doc[0]["port"] == nil {
		t.Errorf("lease --json through a portserver printed %s, want port and pid without id or created", out)
	}
	_, err = run(t, a, leasecmd.Options{Portserver: addr, LeaseRequest: portolan.LeaseRequest{PID: os.Getpid(), TTL: time.Minute}})
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "PORTSERVER_ADDRESS") {
		t.Errorf("--ttl over the portserver: %v, want exit 2 naming PORTSERVER_ADDRESS", err)
	}
}

// A bad --server is named as such, not taken for "a server on another host".
func TestLeaseBadServer(t *testing.T) {
	t.Setenv("PORTOLAN_ADDR", "")
	for _, tc := range []struct{ server, msg string }{
		{"http://[::1", `server address "http://[::1" is not a URL: want http://HOST:PORT`},
		{"ftp://x", `server address "ftp://x" is not an http or https URL: want http://HOST:PORT`},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := leasecmd.NewCmdLease(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs([]string{"--server", tc.server})
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != tc.msg {
			t.Errorf("lease --server %s: exit %d %q, want 2 %q", tc.server, cmdutil.ExitCode(err), cmdutil.Message(err), tc.msg)
		}
	}
}

// An empty --range or --proto is bad input, not the default pool.
func TestLeaseEmptyFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--range", ""}, "--range is empty: want user, dynamic or LO-HI, e.g. 20000-20999"},
		{[]string{"--proto", ""}, `--proto "" is not one of tcp, udp, both`},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := leasecmd.NewCmdLease(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != c.msg {
			t.Errorf("lease %q: exit %d %q, want 2 %q", c.args, cmdutil.ExitCode(err), cmdutil.Message(err), c.msg)
		}
	}
}
