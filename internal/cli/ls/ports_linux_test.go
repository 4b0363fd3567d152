package ls

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// `portolan ls 3000` and `ls :3000` (the lsof -i :3000 habit) list that
// port alone; several ports and PORT/udp work too.
func TestLsPositionalPorts(t *testing.T) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := strconv.Itoa(a.Addr().(*net.TCPAddr).Port), strconv.Itoa(b.Addr().(*net.TCPAddr).Port)
	for _, args := range [][]string{{pa}, {":" + pa}, {pa + "/tcp"}} {
		o := opts()
		o.Args = args
		out, errOut, code := run(t, o, false)
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "tcp\t127.0.0.1\t"+pa+"\t") {
			t.Errorf("ls %v = %q %q exit %d; want the one listener on %s", args, out, errOut, code, pa)
		}
	}
	o := opts()
	o.Args = []string{":" + pa, pb}
	if out, _, code := run(t, o, false); code != 0 || strings.Count(out, "\n") != 2 {
		t.Errorf("ls :%s %s = %q exit %d; want both listeners", pa, pb, out, code)
	}
	o = opts()
	o.Args = []string{pa + "/udp"}
	if _, errOut, code := run(t, o, false); code != 1 || !strings.Contains(errOut, "no sockets match") {
		t.Errorf("ls %s/udp: %q exit %d; want nothing (exit 1)", pa, errOut, code)
	}
	for _, bad := range []string{"http", ":0", "70000", "80/sctp"} {
		o := opts()
		o.Args = []string{bad}
		if out, errOut, code := run(t, o, false); code != 2 || out != "" || !strings.Contains(errOut, bad[strings.LastIndex(bad, ":")+1:]) && !strings.Contains(errOut, "port 0") {
			t.Errorf("ls %s: %q %q exit %d; want exit 2 naming it", bad, out, errOut, code)
		}
	}
}

// --proc matches more than the 15-byte comm: the executable's full base
// name and a case-insensitive prefix.
func TestLsProcMatchesTheExecutable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(t.TempDir(), "portolan-long-server-name")
	if err := os.Symlink(exe, long); err != nil {
		t.Fatal(err)
	}
	h := sockhold.StartExe(t, long, nil, "tcp:127.0.0.1:0")
	p := h.Ports[0].String()
	for _, name := range []string{"portolan-long-server-name", "PORTOLAN-LONG", "portolan-long-s"} {
		o := opts()
		o.Args, o.Proc = []string{p}, name
		out, errOut, code := run(t, o, false)
		if code != 0 || !strings.Contains(out, "\t"+strconv.Itoa(h.PID)+"\t") {
			t.Errorf("ls %s --proc %s = %q %q exit %d; want the holder %d", p, name, out, errOut, code, h.PID)
		}
	}
	o := opts()
	o.Args, o.Proc = []string{p}, "nginx"
	if out, _, code := run(t, o, false); code != 1 {
		t.Errorf("ls %s --proc nginx = %q exit %d; want nothing", p, out, code)
	}
}

func TestProcMatcher(t *testing.T) {
	m := newProcMatcher("Postgres")
	m.exe = func(int) string { return "" }
	for _, p := range []*portolan.Process{
		{Name: "postgres"}, {Name: "x", Cmdline: []string{"/usr/lib/postgresql/16/bin/postgres"}}, {Name: "postgres: checkp"},
	} {
		if !m.matches(p) {
			t.Errorf("--proc Postgres does not match %+v", p)
		}
	}
	if m.matches(&portolan.Process{Name: "pg"}) || m.matches(nil) {
		t.Error("--proc Postgres matches pg or no process")
	}
}
