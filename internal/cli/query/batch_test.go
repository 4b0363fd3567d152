package query

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
)

// TestStdin: `portolan -` answers each line in the piped row format, says
// which lines were bad, and reads this host's sockets once for the batch.
func TestStdin(t *testing.T) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString("80/tcp\n\n# a comment\n70000\n  vite  \n80,:443\n")
	for p := 1; p <= 20; p++ {
		in.WriteString(portolan.Port(p).String() + "\n")
	}
	lists := 0
	o := &Options{
		IO:       ios,
		Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
		Host:     func() (registry.HostRanges, error) { return testHost, nil },
		Sockets: func(_ context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
			lists++
			return []portolan.Socket{{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:5"), State: portolan.StateListen,
				Owner: &portolan.Process{PID: 5, Name: "five"}}}, nil
		},
		Queries: []string{"-"},
	}
	err := Run(context.Background(), o)
	if code := cmdutil.ExitCode(err); code != 2 {
		t.Errorf("exit %d; want 2 for the bad line", code)
	}
	if errOut.String() != "portolan: stdin line 4: port 70000 is out of range 0-65535\n" {
		t.Errorf("stderr %q", errOut)
	}
	for _, want := range []string{
		"class\t80/tcp\tsystem\t0-1023\n", "iana\t80/tcp\thttp\ttcp\t80\tassigned\t",
		"common\tvite\tvite\ttcp\t5173\t", "class\t80\tsystem", "iana\t443\thttps\t",
		"socket\t5\ttcp\t127.0.0.1:5\tLISTEN\t5\tfive\n", "class\t20\tsystem\t0-1023\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out.String(), "\tfive\n") != 1 || lists != 1 {
		t.Errorf("the socket of port 5 shown %d times, sockets listed %d times; want once each", strings.Count(out.String(), "\tfive\n"), lists)
	}
}

// TestOwnerTextSanitised: a process name or label with escape sequences
// reaches neither the table nor the rows as an escape sequence.
func TestOwnerTextSanitised(t *testing.T) {
	evil := "x\x1b]0;pwned\a\x1b[2J\u202e\xff"
	for _, tty := range []bool{true, false} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		o := &Options{
			IO:       ios,
			Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
			Sockets: func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Socket, error) {
				return []portolan.Socket{{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:8080"), State: portolan.StateListen,
					Owner: &portolan.Process{PID: 5, Name: evil, User: evil, Cmdline: []string{evil}}}}, nil
			},
			Leases: func(context.Context) ([]portolan.Lease, error) {
				return []portolan.Lease{{Port: 8080, Label: evil}}, nil
			},
			Queries: []string{"8080"},
		}
		if err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if s := out.String(); strings.ContainsAny(s, "\x1b\a\u202e") || strings.Contains(s, "\xff") || !strings.Contains(s, "x?]0;pwned??[2J?\ufffd") {
			t.Errorf("tty %v: %q", tty, s)
		}
	}
}

// BenchmarkStdin10000 answers ports 1-10000 read from stdin, as
// `seq 1 10000 | portolan -` does (bench/know.sh times the binary).
func BenchmarkStdin10000(b *testing.B) {
	var keys strings.Builder
	for p := 1; p <= 10000; p++ {
		keys.WriteString(portolan.Port(p).String() + "\n")
	}
	reg := registry.Embedded()
	b.ReportAllocs()
	for b.Loop() {
		ios, in, _, _ := iostreams.Test()
		in.WriteString(keys.String())
		o := &Options{
			IO:       ios,
			Registry: func() (*registry.Registry, error) { return reg, nil },
			Host:     func() (registry.HostRanges, error) { return testHost, nil },
			Sockets: func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Socket, error) {
				return nil, nil
			},
			Queries: []string{"-"},
		}
		if err := Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}
