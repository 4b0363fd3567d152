package ls

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
)

// run runs ls and returns stdout, stderr and the exit code.
func run(t *testing.T, o *Options, tty bool) (string, string, int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetTerminalWidth(240) // room for every column, the owner too
	o.IO = ios
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Run(ctx, o)
	if msg := cmdutil.Message(err); msg != "" {
		errOut.WriteString("portolan: " + msg + "\n")
	}
	return out.String(), errOut.String(), cmdutil.ExitCode(err)
}

func opts() *Options {
	return &Options{List: sockets.List, Registry: registry.Default, Interval: defaultInterval, Now: time.Now}
}

func TestLsShowsOwnSockets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	pc, err := net.ListenPacket("udp", "[::1]:"+strconv.Itoa(port))
	if err != nil {
		pc, err = net.ListenPacket("udp", "[::1]:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	defer pc.Close()
	udpPort := pc.LocalAddr().(*net.UDPAddr).Port

	me, _ := os.ReadFile("/proc/self/comm")
	name := strings.TrimSpace(string(me))
	user := sockets.UserName(uint32(os.Geteuid()))

	o := opts()
	o.Port, o.TCP = strconv.Itoa(port), true
	out, errOut, code := run(t, o, false)
	class := portolan.ClassOf(portolan.Port(port)).String()
	want := "tcp\t127.0.0.1\t" + strconv.Itoa(port) + "\t" + class + "\t"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "\t"+strconv.Itoa(os.Getpid())+"\t"+name+"\t"+user+"\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("ls --tcp --port %d = %q (stderr %q, exit %d); want one row %q... with pid %d, %s, %s", port, out, errOut, code, want, os.Getpid(), name, user)
	}

	o = opts()
	o.Port, o.UDP, o.IPv6 = strconv.Itoa(udpPort), true, true
	out, _, code = run(t, o, false)
	if code != 0 || !strings.HasPrefix(out, "udp\t::1\t"+strconv.Itoa(udpPort)+"\t") || strings.Count(out, "\n") != 1 {
		t.Errorf("ls --udp -6 --port %d = %q, exit %d; want the [::1] UDP socket alone", udpPort, out, code)
	}
	o.IPv6, o.IPv4 = false, true
	if out, errOut, code = run(t, o, false); code != 1 || out != "" || !strings.Contains(errOut, "no sockets match") {
		t.Errorf("ls --udp -4 --port %d = %q, %q, exit %d; want nothing, exit 1", udpPort, out, errOut, code)
	}
}

func TestLsAllShowsConnectionsJSON(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	client := c.LocalAddr().(*net.TCPAddr).AddrPort()

	o := opts()
	o.Port, o.All, o.JSON = strconv.Itoa(port), true, true
	out, _, code := run(t, o, false)
	var rows []Entry
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
		t.Fatalf("ls -a --json: %v, exit %d, in %s", err, code, out)
	}
	states := map[portolan.SocketState]Entry{}
	for _, r := range rows {
		states[r.State] = r
	}
	l, e := states[portolan.StateListen], states[portolan.StateEstablished]
	if len(rows) != 2 || l.Owner == nil || l.Owner.PID != os.Getpid() || l.Remote.IsValid() || !l.Local.Addr().Is4() || l.Inode == 0 || l.Owner.Start.IsZero() || len(l.Owner.Cmdline) == 0 {
		t.Errorf("LISTEN row %+v; want ours, no remote, IPv4, inode, start and cmdline (rows %s)", l, out)
	}
	if e.Remote != client || e.Owner == nil || e.Owner.PID != os.Getpid() || e.Class != portolan.ClassOf(portolan.Port(port)) {
		t.Errorf("ESTABLISHED row %+v; want remote %s and our pid", e, client)
	}
	// The socket inside an entry is the one socket shape: the same JSON
	// as the socket alone.
	var sock portolan.Socket
	first, _ := json.Marshal(rows[0])
	if err := json.Unmarshal(first, &sock); err != nil || sock.Local != rows[0].Local || sock.Inode != rows[0].Inode || sock.State != rows[0].State {
		t.Errorf("entry %s does not read back as a socket: %v", first, err)
	}
	if !strings.Contains(out, `"protocol":"tcp"`) || !strings.Contains(out, `"local":"127.0.0.1:`+strconv.Itoa(port)+`"`) {
		t.Errorf("ls --json = %s; want the socket shape (protocol, local, owner)", out)
	}

	// The plain rows of -a carry remote address and state.
	o.JSON = false
	out, _, _ = run(t, o, false)
	if !strings.Contains(out, "\t"+client.String()+"\tESTABLISHED\t") || !strings.Contains(out, "\t-\tLISTEN\t") {
		t.Errorf("ls -a --port %d = %q; want remote and state columns", port, out)
	}
}

// fake returns a List that answers with socks and records the filter.
func fake(socks []portolan.Socket, got *sockets.Filter) func(context.Context, sockets.Filter) ([]portolan.Socket, error) {
	return func(_ context.Context, f sockets.Filter) ([]portolan.Socket, error) {
		if got != nil {
			*got = f
		}
		return socks, nil
	}
}

var start = time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC)

var sample = []portolan.Socket{
	{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:80"), State: "LISTEN", Inode: 10, Owner: &portolan.Process{PID: 99, Name: "nginx", User: "www-data", UID: 33, Start: start, Cmdline: []string{"nginx", "-g", "daemon off;"}}},
	{Proto: portolan.TCP, Local: netip.MustParseAddrPort("[::1]:5173"), State: "LISTEN", Inode: 11, Owner: &portolan.Process{PID: 4242, Name: "node\tx", User: "alice"}},
	{Proto: portolan.UDP, Local: netip.MustParseAddrPort("127.0.0.53:53"), State: "UNCONN", Inode: 12, UID: 0, Hidden: true},
	{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:41000"), Remote: netip.MustParseAddrPort("127.0.0.1:80"), State: "TIME_WAIT"},
	{Proto: portolan.TCP, Local: netip.MustParseAddrPort("[::1]:60000"), Remote: netip.MustParseAddrPort("[::1]:5173"), State: "ESTABLISHED", Inode: 13, UID: 1000},
}

func TestLsRendering(t *testing.T) {
	o := opts()
	o.List, o.All = fake(sample, nil), true
	out, _, code := run(t, o, false)
	want := "tcp\t0.0.0.0\t80\t-\tLISTEN\tsystem\thttp\t99\tnginx\twww-data\n" +
		"tcp\t::1\t5173\t-\tLISTEN\tuser\tvite*\t4242\tnode x\talice\n" +
		"udp\t127.0.0.53\t53\t-\tUNCONN\tsystem\tdomain\thidden\thidden\troot\n" +
		"tcp\t127.0.0.1\t41000\t127.0.0.1:80\tTIME_WAIT\tuser\t-\t-\t-\t-\n" +
		"tcp\t::1\t60000\t[::1]:5173\tESTABLISHED\tdynamic\t-\t-\t-\t" + sockets.UserName(1000) + "\n"
	if code != 0 || out != want {
		t.Errorf("plain rows:\n%s\nwant:\n%s", out, want)
	}
	// The table for people carries the same cells, a header and the footnote.
	tty, _, _ := run(t, o, true)
	lines := strings.Split(strings.TrimSpace(tty), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "PROTO  LOCAL ADDRESS  PORT   REMOTE ADDRESS  STATE") ||
		!strings.Contains(lines[2], "vite*") || !strings.Contains(lines[6], "not an IANA assignment") {
		t.Errorf("table:\n%s", tty)
	}
	// Without -a the remote and state columns are left out.
	o.All = false
	out, _, _ = run(t, o, false)
	if first := strings.SplitN(out, "\n", 2)[0]; first != "tcp\t0.0.0.0\t80\tsystem\thttp\t99\tnginx\twww-data" {
		t.Errorf("narrow row = %q", first)
	}
}

// TestPlainMatchesCells pins the fast pipe writer to the cells the table
// printer gets.
func TestPlainMatchesCells(t *testing.T) {
	reg, _ := registry.Default()
	for _, wide := range []bool{false, true} {
		names := &serviceNames{reg: reg}
		for i := range sample {
			r := toRow(&sample[i], names)
			r.Process = cmdutil.Sanitize(r.Process)
			want := strings.Join(cells(r, wide), "\t") + "\n"
			if got := string(appendPlain(nil, &sample[i], names, wide)); got != want {
				t.Errorf("wide=%v socket %d: plain %q, cells %q", wide, i, got, want)
			}
		}
	}
}

func TestLsFlagsBecomeTheFilter(t *testing.T) {
	var f sockets.Filter
	o := opts()
	o.List = fake(sample[:1], &f)
	o.TCP, o.UDP, o.IPv6, o.Port, o.PID, o.Proc, o.States = true, true, true, "8080", 42, "NGI", []string{"time-wait", "estab"}
	if _, _, code := run(t, o, false); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if len(f.Protos) != 2 || len(f.Families) != 1 || f.Families[0] != 6 || f.Port != 8080 || f.PID != 42 ||
		!f.WithOwners || strings.Join(f.States, ",") != "TIME_WAIT,ESTABLISHED" {
		t.Errorf("filter = %+v", f)
	}
}

func TestLsBadInput(t *testing.T) {
	for _, c := range []struct {
		set  func(*Options)
		want string
	}{
		{func(o *Options) { o.Port = "70000" }, "port 70000 is out of range 0-65535"},
		{func(o *Options) { o.Port = "http" }, `port "http" is not a number`},
		{func(o *Options) { o.Port = "0" }, "--port 0"},
		{func(o *Options) { o.States = []string{"open"} }, `state "open" is not one of`},
		{func(o *Options) { o.PID = -3 }, "--pid -3"},
		{func(o *Options) { o.Watch, o.Interval = true, time.Millisecond }, "--interval 1ms is out of range"},
	} {
		o := opts()
		c.set(o)
		out, errOut, code := run(t, o, false)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("got %q %q exit %d; want exit 2 and one line with %q", out, errOut, code, c.want)
		}
	}
}

func TestLsUnsupportedExits2(t *testing.T) {
	o := opts()
	o.List = func(context.Context, sockets.Filter) ([]portolan.Socket, error) {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "the socket inventory is not supported on plan9 yet (Linux only)")
	}
	_, errOut, code := run(t, o, false)
	if code != 2 || !strings.Contains(errOut, "not supported on plan9") {
		t.Errorf("unsupported: %q exit %d; want exit 2 with the message", errOut, code)
	}
}

func TestLsWatchRedrawsUntilInterrupted(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	o := opts()
	o.IO, o.Watch, o.Interval = ios, true, minInterval
	o.List = func(context.Context, sockets.Filter) ([]portolan.Socket, error) {
		calls++
		if calls == 3 {
			cancel() // Ctrl-C during the third refresh
		}
		return sample[:1], nil
	}
	t0 := time.Now()
	if err := Run(ctx, o); err != nil {
		t.Fatalf("watch ended with %v; Ctrl-C is a normal end", err)
	}
	if frames := strings.Count(out.String(), "\x1b[H\x1b[2J"); frames != 2 || calls != 3 || time.Since(t0) < 2*minInterval {
		t.Errorf("%d frames drawn, %d lists in %s; want 2 frames in place, a refresh per interval", frames, calls, time.Since(t0))
	}
}

func TestQuerySocketsHere(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := portolan.Port(ln.Addr().(*net.TCPAddr).Port)
	ctx := context.Background()
	socks, err := QuerySockets(ctx, portolan.SinglePort(p), portolan.ProtoAny)
	if err != nil || len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.PID != os.Getpid() {
		t.Fatalf("QuerySockets(%d) = %+v, %v; want our [::1] listener with its owner", p, socks, err)
	}
	if socks, err := QuerySockets(ctx, portolan.SinglePort(p), portolan.UDP); err != nil || len(socks) != 0 {
		t.Errorf("QuerySockets(%d/udp) = %+v, %v; want nothing", p, socks, err)
	}
	if socks, err := QuerySockets(ctx, portolan.SinglePort(p), portolan.SCTP); err != nil || socks != nil {
		t.Errorf("QuerySockets(%d/sctp) = %+v, %v; want no inventory, no error", p, socks, err)
	}
	socks, err = QuerySockets(ctx, portolan.Range{Lo: p - 1, Hi: p + 1}, portolan.TCP)
	found := false
	for _, s := range socks {
		found = found || s.Local.Port() == uint16(p)
		if s.Local.Port() < uint16(p-1) || s.Local.Port() > uint16(p+1) {
			t.Errorf("range query returned %+v", s)
		}
	}
	if err != nil || !found {
		t.Errorf("QuerySockets(%d-%d) = %+v, %v; want ours among them", p-1, p+1, socks, err)
	}
}

// Empty filters and --interval without --watch are bad input: they read as
// "no filter" or did nothing, and every socket was listed with exit 0.
func TestLsFlagsNotDropped(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--port", ""}, "--port is empty: want a port 1-65535"},
		{[]string{"--proc", ""}, "--proc is empty: want a process name, e.g. nginx"},
		{[]string{"--state", ""}, "--state is empty: want listen, unconn, established, time-wait, ..."},
		{[]string{"--interval", "1s"}, "--interval 1s needs --watch: it is the refresh interval"},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdLs(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != c.msg {
			t.Errorf("ls %q: exit %d %q, want 2 %q", c.args, cmdutil.ExitCode(err), cmdutil.Message(err), c.msg)
		}
	}
}

// --watch on a terminal draws on the alternate screen and leaves it at
// the end, keeps the header in every frame (even an empty one), and
// highlights the sockets that are new since the last frame.
func TestLsWatchAlternateScreenAndChanges(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames := [][]portolan.Socket{sample[:1], sample[:2], nil}
	calls := 0
	o := opts()
	o.IO, o.Watch, o.Interval = ios, true, minInterval
	o.List = func(context.Context, sockets.Filter) ([]portolan.Socket, error) {
		calls++
		if calls > len(frames) {
			cancel()
			return nil, nil
		}
		return frames[calls-1], nil
	}
	if err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "\x1b[?1049h") || !strings.HasSuffix(s, "\x1b[?1049l") {
		t.Errorf("not drawn on the alternate screen: %q...%q", s[:min(len(s), 20)], s[max(0, len(s)-20):])
	}
	f := strings.Split(s, "\x1b[H\x1b[2J")[1:]
	if len(f) != 3 {
		t.Fatalf("%d frames, want 3:\n%q", len(f), s)
	}
	for i, fr := range f {
		if !strings.Contains(fr, "PROTO") {
			t.Errorf("frame %d has no header:\n%s", i, fr)
		}
	}
	if strings.Contains(f[0], "\x1b[1m") || !strings.Contains(f[1], "\x1b[32m\x1b[1mtcp") || !strings.Contains(f[1], "+1 new, -0 gone") {
		t.Errorf("frame 2 does not highlight the new socket:\n%q", f[1])
	}
	if !strings.Contains(f[2], "+0 new, -2 gone") || !strings.Contains(f[2], "no sockets match") {
		t.Errorf("frame 3 does not count what went:\n%q", f[2])
	}
}
