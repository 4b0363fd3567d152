package fleet

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/storetest"
)

const adminToken = "fleet-admin-token-0123456789"

// fleetServer is a real server over SQLite on loopback, with two hosts
// reported through the API: db-1 (postgres, and a stray python on 8080)
// and web-1 (nginx).
func fleetServer(t *testing.T) (*porthttp.Client, time.Time) {
	t.Helper()
	c, mid, _ := fleetServerStore(t)
	return c, mid
}

// fleetServerStore is fleetServer with its store.
func fleetServerStore(t *testing.T) (*porthttp.Client, time.Time, portolan.FleetStore) {
	t.Helper()
	store := storetest.SQLite(t)
	toks := porthttp.NewTokens()
	toks.Add(adminToken, "ops", porthttp.RoleAdmin)
	srv := porthttp.NewServer(porthttp.Config{Fleet: store, Tokens: toks, Assignments: assignments{{Port: 5432, Proto: portolan.TCP, Name: "postgres", Hosts: "db-*"}}})
	c := porthttp.NewClient(porthttptest.Serve(t, srv, "127.0.0.1:0"), adminToken)
	l := func(port portolan.Port, program string) portolan.FleetListener {
		return portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: port}, Program: program, Reach: portolan.ReachAll}
	}
	report := func(id, name string, seq uint64, ls ...portolan.FleetListener) {
		t.Helper()
		if _, err := c.Report(context.Background(), portolan.FleetReport{HostID: id, HostName: name, Interval: time.Second, Seq: seq, Full: true, Listeners: ls}); err != nil {
			t.Fatal(err)
		}
	}
	for seq := uint64(1); seq <= 2; seq++ {
		report("id-db-1", "db-1", seq, l(5432, "/usr/lib/postgresql/15/bin/postgres"), l(8080, "/usr/bin/python3"))
		report("id-web-1", "web-1", seq, l(443, "unit nginx.service"))
	}
	mid := time.Now()
	time.Sleep(10 * time.Millisecond)
	// python3 goes away on db-1 (two reports confirm it).
	report("id-db-1", "db-1", 3, l(5432, "/usr/lib/postgresql/15/bin/postgres"))
	report("id-db-1", "db-1", 4, l(5432, "/usr/lib/postgresql/15/bin/postgres"))
	return c, mid, store
}

// assignments is a fixed plan.
type assignments []portolan.Assignment

func (a assignments) Assign(context.Context, *portolan.Assignment, bool) ([]portolan.Conflict, error) {
	return nil, nil
}
func (a assignments) Assignments(_ context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	var out []portolan.Assignment
	for _, x := range a {
		if f.Name == "" || f.Name == x.Name {
			out = append(out, x)
		}
	}
	return out, nil
}
func (a assignments) Unassign(context.Context, portolan.Port, portolan.Proto, string) error {
	return nil
}
func (a assignments) Audit(context.Context, int) ([]portolan.AuditEntry, error) { return nil, nil }

func run(t *testing.T, c *porthttp.Client, fn func(*Options) error, mod func(*Options)) (string, int) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o := &Options{IO: ios, Client: func() (*porthttp.Client, error) { return c, nil }, Now: time.Now}
	if mod != nil {
		mod(o)
	}
	err := fn(o)
	return out.String(), cmdutil.ExitCode(err)
}

func TestFleetVerbs(t *testing.T) {
	c, mid := fleetServer(t)
	ctx := context.Background()

	out, code := run(t, c, func(o *Options) error { return Hosts(ctx, o) }, nil)
	if code != 0 || !strings.Contains(out, "db-1\tid-db-1\tfresh\t") || !strings.Contains(out, "web-1\tid-web-1\tfresh\t") {
		t.Fatalf("fleet: exit %d\n%s", code, out)
	}
	if f := strings.Split(strings.Split(out, "\n")[0], "\t"); f[4] != "1" {
		t.Errorf("db-1 listeners %q, want 1 (python3 gone): %s", f[4], out)
	}

	out, code = run(t, c, func(o *Options) error { return Where(ctx, o, "postgres") }, nil)
	if code != 0 || out != "db-1\ttcp\t0.0.0.0\t5432\t/usr/lib/postgresql/15/bin/postgres\tall\n" {
		t.Errorf("fleet where postgres: exit %d\n%q", code, out)
	}
	if _, code = run(t, c, func(o *Options) error { return Where(ctx, o, "9") }, nil); code != 1 {
		t.Errorf("fleet where 9 (nobody): exit %d, want 1", code)
	}
	if _, code = run(t, c, func(o *Options) error { return Where(ctx, o, "99999") }, nil); code != 2 {
		t.Errorf("fleet where 99999: exit %d, want 2", code)
	}

	out, code = run(t, c, func(o *Options) error { return Drift(ctx, o) }, nil)
	if code != 1 || !strings.Contains(out, "web-1\tunregistered\t443/tcp\tunit nginx.service\t") || strings.Contains(out, "db-1") {
		t.Errorf("fleet drift: exit %d\n%s", code, out)
	}
	if out, code = run(t, c, func(o *Options) error { return Drift(ctx, o) }, func(o *Options) { o.Host = "db-1" }); code != 0 || out != "" {
		t.Errorf("fleet drift --host db-1: exit %d\n%s", code, out)
	}
	if _, code = run(t, c, func(o *Options) error { return Drift(ctx, o) }, func(o *Options) { o.Host = "nope" }); code != 1 {
		t.Errorf("fleet drift --host nope: exit %d, want 1", code)
	}

	at := mid.UTC().Format(time.RFC3339Nano)
	out, code = run(t, c, func(o *Options) error { return Diff(ctx, o, "db-1@"+at, "db-1@now") }, func(o *Options) { o.JSON = true })
	var res DiffResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || len(res.Changes) != 1 || res.Changes[0].Op != "-" || res.Changes[0].Port != 8080 {
		t.Errorf("fleet diff db-1@mid db-1@now: exit %d %v\n%s", code, err, out)
	}
	out, code = run(t, c, func(o *Options) error { return Diff(ctx, o, "db-1@now", "web-1@now") }, nil)
	if code != 1 || !strings.Contains(out, "+\ttcp\t0.0.0.0\t443\tunit nginx.service") || !strings.Contains(out, "-\ttcp\t0.0.0.0\t5432\t") {
		t.Errorf("fleet diff db-1@now web-1@now: exit %d\n%s", code, out)
	}
	for _, bad := range [][2]string{{"db-1", "db-1@now"}, {"db-1@yesterday", "db-1@now"}, {"db-1@-x", "db-1@now"}} {
		if _, code := run(t, c, func(o *Options) error { return Diff(ctx, o, bad[0], bad[1]) }, nil); code != 2 {
			t.Errorf("fleet diff %s %s: exit %d, want 2", bad[0], bad[1], code)
		}
	}
}

// On a terminal, nothing found is the one-line error alone, not a table
// header above it (as ls does).
func TestNothingFoundPrintsNoHeader(t *testing.T) {
	c, _ := fleetServer(t)
	ctx := context.Background()
	tty := func(o *Options) { o.IO.SetStdoutTTY(true) }
	if out, code := run(t, c, func(o *Options) error { return Where(ctx, o, "9") }, tty); code != 1 || out != "" {
		t.Errorf("fleet where 9 on a terminal: exit %d, want 1 and no output\n%s", code, out)
	}
	if out, code := run(t, c, func(o *Options) error { return Drift(ctx, o) }, func(o *Options) { tty(o); o.Host = "db-1" }); code != 0 || out != "" {
		t.Errorf("fleet drift --host db-1 (none) on a terminal: exit %d, want 0 and no output\n%s", code, out)
	}
	if out, code := run(t, c, func(o *Options) error { return Diff(ctx, o, "web-1@now", "web-1@now") }, tty); code != 0 || out != "" {
		t.Errorf("fleet diff web-1@now web-1@now on a terminal: exit %d, want 0 and no output\n%s", code, out)
	}
	if out, code := run(t, c, func(o *Options) error { return Where(ctx, o, "5432") }, tty); code != 0 || !strings.HasPrefix(out, "HOST") {
		t.Errorf("fleet where 5432 on a terminal: exit %d, want a table\n%s", code, out)
	}
}

// fleet needs a server: its help must not offer to work locally.
func TestServerFlagNeedsAServer(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdFleet(&cmdutil.Factory{IOStreams: ios})
	for _, c := range append(cmd.Commands(), cmd) {
		if u := c.Flags().Lookup("server").Usage; strings.Contains(u, "locally") || !strings.Contains(u, "PORTOLAN_ADDR") {
			t.Errorf("%s --server: %q, want the server it reads, not local work", c.CommandPath(), u)
		}
	}
}

// fleet drift on a narrow terminal cuts the program and the detail, never
// wraps.
func TestDriftFitsTheTerminal(t *testing.T) {
	c, _ := fleetServer(t)
	out, code := run(t, c, func(o *Options) error { return Drift(context.Background(), o) }, func(o *Options) {
		o.IO.SetStdoutTTY(true)
		o.IO.SetTerminalWidth(60)
	})
	if code != 1 || !strings.Contains(out, "web-1") {
		t.Fatalf("fleet drift: exit %d\n%s", code, out)
	}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := tableprinter.Width(l); w > 60 {
			t.Errorf("line %q is %d cells wide, want at most 60:\n%s", l, w, out)
		}
	}
}

// A malformed HOST@TIME is bad input (exit 2) even when the server cannot
// be reached: the arguments are read before the server is asked.
func TestDiffBadArgumentsBeforeTheServer(t *testing.T) {
	down := porthttp.NewClient("http://127.0.0.1:1", "")
	for _, bad := range [][2]string{{"db-1", "db-1@now"}, {"db-1@now", "db-1@tomorrow"}, {"db-1@-x", "db-1@now"}} {
		if _, code := run(t, down, func(o *Options) error { return Diff(context.Background(), o, bad[0], bad[1]) }, nil); code != 2 {
			t.Errorf("fleet diff %s %s with the server down: exit %d, want 2", bad[0], bad[1], code)
		}
	}
}

// The exit code does not depend on the format: --json with nothing found
// prints its document and exits 1, as ls --json does.
func TestJSONNothingFoundExitsOne(t *testing.T) {
	c, _ := fleetServer(t)
	out, code := run(t, c, func(o *Options) error { return Where(context.Background(), o, "9") }, func(o *Options) { o.JSON = true })
	var w porthttp.FleetWhere
	if err := json.Unmarshal([]byte(out), &w); err != nil || code != 1 || len(w.Listeners) != 0 {
		t.Errorf("fleet where 9 --json: exit %d, %v\n%s; want the document and exit 1", code, err, out)
	}
}

// Once a host's old events are folded, a diff at a time before the fold
// is refused (exit 2, naming where the history starts) instead of
// answering from a history it no longer has; a later time still diffs.
func TestDiffRefusesFoldedHistory(t *testing.T) {
	c, mid, store := fleetServerStore(t)
	ctx := context.Background()
	before := mid.Add(-time.Hour).UTC().Format(time.RFC3339)
	if _, err := store.CompactFleetEvents(ctx, mid); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	err := Diff(ctx, &Options{IO: ios, Client: func() (*porthttp.Client, error) { return c, nil }, Now: time.Now}, "db-1@"+before, "db-1@now")
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "db-1's history is whole only from "+mid.UTC().Truncate(time.Second).Format(time.RFC3339)[:16]) {
		t.Errorf("fleet diff db-1@%s (before the fold): exit %d %q %s; want 2 naming where the history starts", before, cmdutil.ExitCode(err), cmdutil.Message(err), errOut)
	}
	at := mid.Add(time.Millisecond).UTC().Format(time.RFC3339Nano)
	out, code := run(t, c, func(o *Options) error { return Diff(ctx, o, "db-1@"+at, "db-1@now") }, func(o *Options) { o.JSON = true })
	var res DiffResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || len(res.Changes) != 1 || res.Changes[0].Port != 8080 {
		t.Errorf("fleet diff from just after the fold: exit %d %v\n%s; want 8080 gone, as before the fold", code, err, out)
	}
}
