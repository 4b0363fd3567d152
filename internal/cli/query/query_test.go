package query

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

var testHost = registry.HostRanges{
	Ephemeral: portolan.Range{Lo: 32768, Hi: 60999}, Reserved: []portolan.Range{{Lo: 40000, Hi: 40010}},
	UnprivilegedStart: 1024, Source: "test",
}

func run(t *testing.T, tty, jsonOut bool, queries ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetTerminalWidth(200) // room for every column: fit_test.go checks 80
	o := &Options{
		IO:       ios,
		Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
		Host:     func() (registry.HostRanges, error) { return testHost, nil },
		Queries:  queries,
		JSON:     jsonOut,
	}
	err := Run(context.Background(), o)
	msg := cmdutil.Message(err)
	if msg != "" {
		errOut.WriteString("portolan: " + msg + "\n")
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func TestPlainRows(t *testing.T) {
	out, _, code := run(t, false, false, "80/tcp")
	want := "class\t80/tcp\tsystem\t0-1023\n" +
		"iana\t80/tcp\thttp\ttcp\t80\tassigned\tWorld Wide Web HTTP\tIESG\trfc9110\t\t2021-10-01\n" +
		"iana\t80/tcp\twww\ttcp\t80\talias of http\tWorld Wide Web HTTP\tIESG\trfc9110\t\t2021-10-01\n" +
		"iana\t80/tcp\twww-http\ttcp\t80\talias of http\tWorld Wide Web HTTP\tTim Berners-Lee\t\t\t\n" +
		"host\t80/tcp\t32768-60999\tno\tno\tyes\tno\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, output\n%s\nwant\n%s", code, out, want)
	}
	out, _, _ = run(t, false, false, "6010/tcp")
	if !strings.Contains(out, "iana\t6010/tcp\tx11\ttcp\t6000-6063\tassigned\tX Window System") {
		t.Errorf("6010/tcp does not resolve to x11:\n%s", out)
	}
	out, _, _ = run(t, false, false, "40005")
	if !strings.Contains(out, "host\t40005\t32768-60999\tyes\tyes\tno\tno") {
		t.Errorf("40005 host facts:\n%s", out)
	}
}

func TestTable(t *testing.T) {
	out, _, code := run(t, true, false, "3000")
	for _, want := range []string{
		"3000  user port (registered/user, 1024-49151)",
		"IANA (registry of 2026-08-17)",
		"NAME ", "hbci ", "Kurt Haubner",
		"Common use (de-facto, not IANA)", "node-dev", "grafana",
		"This host (read from the kernel)", "ephemeral range 32768-60999: outside",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if code != 0 || strings.Contains(out, "\x1b[") {
		t.Errorf("exit %d; colour without a colour terminal: %q", code, out)
	}
}

func TestNameQuery(t *testing.T) {
	out, _, code := run(t, false, false, "xmlipcregsvc")
	if code != 0 || !strings.Contains(out, "iana\txmlipcregsvc\tXmlIpcRegSvc\ttcp\t9092") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, code = run(t, false, false, "vite")
	if code != 0 || !strings.Contains(out, "common\tvite\tvite\ttcp\t5173\t") {
		t.Errorf("vite (common use only): exit %d:\n%s", code, out)
	}
	out, _, code = run(t, false, false, "http/udp")
	if code != 0 || strings.Contains(out, "\ttcp\t") || !strings.Contains(out, "http\tudp\t80") {
		t.Errorf("http/udp: exit %d:\n%s", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		q      []string
		code   int
		stderr string
	}{
		{[]string{"70000"}, 2, "portolan: port 70000 is out of range 0-65535\n"},
		{[]string{"80/foo"}, 2, "portolan: protocol \"foo\" in \"80/foo\" is not one of tcp, udp, sctp, dccp\n"},
		{[]string{""}, 2, "portolan: empty query: want a port (443), a range (6000-6010), a name (https), optionally with /tcp, /udp, /sctp or /dccp\n"},
		{[]string{"443", "70000"}, 2, "portolan: port 70000 is out of range 0-65535\n"},
		{[]string{"no-such-service"}, 1, "portolan: no service named \"no-such-service\" in IANA's registry (2026-08-17), the common uses or the assignments; try: portolan search no-such-service\n"},
		// A port always has an answer (its class and this host's facts).
		{[]string{"50000"}, 0, ""},
		{[]string{"0-4096"}, 2, "portolan: range 0-4096 has 4097 ports: want at most 4096 per query (split it, e.g. 0-4095)\n"},
		{[]string{"80,,443"}, 2, "portolan: query list \"80,,443\" has an empty item: want items separated by single commas, e.g. 80,443,https\n"},
		{[]string{"443", "no-such-service"}, 1, ""},
		{[]string{"443", "https", "6000-6010"}, 0, ""},
		{[]string{"-1"}, 2, "portolan: port -1 is out of range 0-65535\n"},
		{[]string{"--"}, 2, "portolan: range \"--\" is missing a port: want LO-HI within 0-65535, e.g. 6000-6010\n"},
		{[]string{"5-"}, 2, "portolan: range \"5-\" is missing a port: want LO-HI within 0-65535, e.g. 6000-6010\n"},
		// IANA names that start with a digit are names, not bad ports.
		{[]string{"9pfs"}, 0, ""},
		{[]string{"3com-tsmux/udp"}, 0, ""},
	} {
		out, stderr, code := run(t, false, false, c.q...)
		if code != c.code || (c.stderr != "" && stderr != c.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", c.q, code, stderr, c.code, c.stderr)
		}
		if c.code == 2 && out != "" {
			t.Errorf("%q: bad input printed %q", c.q, out)
		}
		if strings.Count(stderr, "\n") > 1 && c.code == 2 {
			t.Errorf("%q: more than one line: %q", c.q, stderr)
		}
	}
}

func TestJSON(t *testing.T) {
	out, _, code := run(t, false, true, "443", "https/tcp")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, %d documents:\n%s", code, len(lines), out)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"query", "ports", "class", "registry_updated", "records", "common_uses", "host", "sockets", "leases", "assignments"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, lines[0])
		}
	}
	var res portolan.Answer
	if err := json.Unmarshal([]byte(lines[0]), &res); err != nil {
		t.Fatal(err)
	}
	if res.Query != "443" || res.Class.Class != portolan.System || res.Records[0].Name != "https" || res.Records[0].Ports.Lo != 443 ||
		res.Host.Ephemeral.Lo != 32768 || !res.Host.NeedsPrivilege || res.Records[0].Assignee.ID != "IESG" {
		t.Errorf("decoded %+v", res)
	}
	if !strings.Contains(lines[0], `"ports":443`) && !strings.Contains(lines[0], `"ports":"443"`) {
		t.Errorf("ports field: %s", lines[0])
	}
	var byName portolan.Answer
	if err := json.Unmarshal([]byte(lines[1]), &byName); err != nil || byName.Query != "https/tcp" || byName.Class != nil || len(byName.Records) != 2 || byName.Records[1].Status != portolan.NameOnly {
		t.Errorf("name query JSON: %s", lines[1])
	}
}

// TestSections: the optional sections appear when their functions are set.
func TestSections(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	var gotRange portolan.Range
	o := &Options{
		IO:       ios,
		Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
		Sockets: func(_ context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
			gotRange = r
			return []portolan.Socket{{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:5432"), State: "LISTEN",
				Owner: &portolan.Process{PID: 42, Name: "postgres"}}}, nil
		},
		Leases: func(context.Context) ([]portolan.Lease, error) {
			return []portolan.Lease{{Port: 5432, PID: 7, Label: "db"}, {Port: 9999}}, nil
		},
		Assignments: func(_ context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Assignment, error) {
			return []portolan.Assignment{{Port: 5432, Proto: portolan.TCP, Name: "main-db", Owner: "data"}}, nil
		},
		Queries: []string{"postgresql/tcp"},
	}
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"socket\tpostgresql/tcp\ttcp\t127.0.0.1:5432\tLISTEN\t42\tpostgres", "lease\tpostgresql/tcp\t5432\tboth\t7\tdb", "assignment\tpostgresql/tcp\t5432\ttcp\tmain-db\tdata"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "9999") || gotRange != portolan.SinglePort(5432) {
		t.Errorf("lease on another port shown, or sockets asked for %v:\n%s", gotRange, out)
	}
	// An OS without socket listing leaves the section empty, no error.
	o.Sockets = func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Socket, error) {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "not on this OS")
	}
	if err := Run(context.Background(), o); err != nil {
		t.Errorf("unsupported sockets: %v", err)
	}
}

// TestAttach: the root prints help without arguments, runs queries with
// them, and --version names the registry snapshot.
func TestAttach(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{Version: "1.2.3", IOStreams: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil }}
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "portolan", Version: f.Version, SilenceErrors: true, SilenceUsage: true, Args: cobra.ArbitraryArgs}
		root.SetOut(ios.Out)
		Attach(root, f)
		return root
	}
	root := newRoot()
	root.SetArgs(nil)
	if err := root.Execute(); err != nil || !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), "portolan 443") {
		t.Errorf("no args: %v\n%s", err, out)
	}
	out.Reset()
	root = newRoot()
	root.SetArgs([]string{"--version"})
	if err := root.Execute(); err != nil || out.String() != "portolan 1.2.3 (IANA registry of 2026-08-17, embedded)\n" {
		t.Errorf("--version: %v %q", err, out)
	}
	out.Reset()
	root = newRoot()
	root.SetArgs([]string{"22", "--json"})
	if err := root.Execute(); err != nil || !strings.HasPrefix(out.String(), `{"query":"22"`) {
		t.Errorf("22 --json: %v %q", err, out)
	}
}

func BenchmarkLookup443(b *testing.B) {
	host := portolan.HostRanges(testHost)
	l := (&Options{}).lookup(registry.Embedded(), &host, false)
	q := portolan.Query{Ports: portolan.SinglePort(443)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Answer(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
