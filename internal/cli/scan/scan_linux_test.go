//go:build linux

package scan

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testnet"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
)

// TestScanNamespaceGroundTruth: a host in its own namespace with open,
// dropped (filtered) and rejected (closed) ports, read back as JSON lines.
func TestScanNamespaceGroundTruth(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	want := map[int]probe.State{}
	for _, p := range []int{22, 80, 8080} {
		if _, err := ns.Listen(":" + itoa(p)); err != nil {
			t.Fatal(err)
		}
		want[p] = probe.Open
	}
	if err := ns.Drop(443, 444, 5432); err != nil {
		t.Fatal(err)
	}
	if err := ns.Reject(81); err != nil {
		t.Fatal(err)
	}
	want[443], want[444], want[5432], want[81] = probe.Filtered, probe.Filtered, probe.Filtered, probe.Closed
	out, msg, code := run(t, &Options{Targets: []string{ns.Addr.String()}, Ports: "1-1000,5432,8080", JSON: true, All: true, Retries: 1})
	if code != 0 {
		t.Fatalf("exit %d %s", code, msg)
	}
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var r probe.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		n++
		w, ok := want[int(r.Port)]
		if !ok {
			w = probe.Closed
		}
		if r.State != w {
			t.Errorf("port %d: %s (%s), want %s", r.Port, r.State, r.Reason, w)
		}
		if r.State == probe.Open && r.Process != nil {
			t.Errorf("port %d in another namespace shows process %+v", r.Port, r.Process)
		}
	}
	if n != 1002 {
		t.Errorf("%d results, want 1002", n)
	}
}

// An open port held by a process named with escape sequences shows that
// name as inert text in the table.
func TestScanSanitisesProcessNames(t *testing.T) {
	h := sockhold.StartHostile(t, "tcp:127.0.0.1:0")
	for _, tty := range []bool{true, false} {
		ios, _, out, errOut := iostreams.Test()
		ios.SetStdoutTTY(tty)
		o := &Options{IO: ios, Registry: registry.Default, Targets: []string{"127.0.0.1"}, Ports: h.Ports[0].String(), Retries: 1}
		err := Run(context.Background(), o)
		if err != nil || !strings.Contains(out.String(), "x?]0;pwn??[2J[") || strings.ContainsAny(out.String()+errOut.String(), "\x1b\x07") {
			t.Errorf("tty=%v: %q %q %v; want the process name sanitised", tty, out, errOut, err)
		}
	}
}

// Ctrl-C during a scan prints what was found so far and exits 130.
func TestScanInterruptedPrintsWhatItFound(t *testing.T) {
	p := listen(t, "tcp4", "127.0.0.1:0")
	spec := p.String() + "," + (p + 1).String() + "-" + (p + 200).String()
	ios, _, out, errOut := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel) // as main's signal handler does on Ctrl-C
	o := &Options{IO: ios, Registry: registry.Default, Targets: []string{"127.0.0.1"}, Ports: spec, Rate: 20, Retries: 0, All: true}
	start := time.Now()
	err := Run(ctx, o)
	if code := cmdutil.ExitCode(err); code != 130 || time.Since(start) > 3*time.Second {
		t.Fatalf("interrupted scan: exit %d after %s, want 130 soon after the interrupt", code, time.Since(start))
	}
	if !strings.Contains(out.String(), "127.0.0.1\t127.0.0.1\t"+p.String()+"\topen") || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("interrupted scan printed %q (stderr %q); want the open port found before the interrupt", out.String(), errOut.String())
	}
	if n := strings.Count(out.String(), "\n"); n > 20 {
		t.Errorf("%d rows: ports never probed are listed", n)
	}
}

// A scan with nothing to list prints no table (not a lone header).
func TestScanPrintsNoEmptyTable(t *testing.T) {
	c := closed(t)
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	err := Run(context.Background(), &Options{IO: ios, Registry: registry.Default, Targets: []string{"127.0.0.1"}, Ports: c.String(), OpenOnly: true, Retries: 1})
	if cmdutil.ExitCode(err) != 1 || out.String() != "" {
		t.Errorf("scan --open of a closed port: %q exit %d; want no output and exit 1", out.String(), cmdutil.ExitCode(err))
	}
}
