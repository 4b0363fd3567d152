package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/probe"
	"github.com/portolan-dev/portolan/registry"
)

func reg() (*registry.Registry, error) { return registry.Embedded(), nil }

func listen(t *testing.T, network, addr string) portolan.Port {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HELLO portolan\r\n"))
			c.Close()
		}
	}()
	return portolan.Port(l.Addr().(*net.TCPAddr).Port)
}

func closed(t *testing.T) portolan.Port {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portolan.Port(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	return p
}

func run(t *testing.T, o *Options) (string, string, int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	o.IO, o.Registry = ios, reg
	err := Run(context.Background(), o)
	return out.String(), errOut.String() + cmdutil.Message(err), cmdutil.ExitCode(err)
}

func TestScanLoopbackFormats(t *testing.T) {
	a, b := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp4", "127.0.0.1:0")
	c := closed(t)
	spec := a.String() + "," + b.String() + "," + c.String()

	out, msg, code := run(t, &Options{Targets: []string{"127.0.0.1"}, Ports: spec, Retries: 1})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("table: exit %d %s\n%s", code, msg, out)
	}
	self := filepath.Base(os.Args[0])
	self = self[:min(len(self), 15)] // comm is at most 15 bytes
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 7 || f[0] != "127.0.0.1" || f[1] != "127.0.0.1" {
			t.Errorf("row %q", l)
			continue
		}
		switch f[2] {
		case a.String(), b.String():
			if f[3] != "open" || !strings.HasPrefix(f[6], self+"[") {
				t.Errorf("open row %q, want open and process %s", l, self)
			}
		case c.String():
			if f[3] != "closed" || f[6] != "" {
				t.Errorf("closed row %q", l)
			}
		}
	}

	out, _, code = run(t, &Options{Targets: []string{"127.0.0.1"}, Ports: spec, JSON: true, All: true, Banner: true})
	var got []probe.Result
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r probe.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("json line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if code != 0 || len(got) != 3 {
		t.Fatalf("json: exit %d, %d lines\n%s", code, len(got), out)
	}
	for _, r := range got {
		if r.Port == c && (r.State != probe.Closed || r.Reason != "conn-refused") {
			t.Errorf("closed port in json: %+v", r)
		}
		if r.Port != c && (r.State != probe.Open || r.Banner != "HELLO portolan" || r.Process == nil || r.Process.PID != os.Getpid()) {
			t.Errorf("open port in json: %+v", r)
		}
	}

	out, _, _ = run(t, &Options{Targets: []string{"127.0.0.1"}, Ports: spec, Grepable: true})
	if !strings.Contains(out, "Host: 127.0.0.1 ()\tPorts: ") || !strings.Contains(out, a.String()+"/open/tcp//") ||
		!strings.Contains(out, c.String()+"/closed/tcp//") || !strings.HasPrefix(out, "# portolan") {
		t.Errorf("grepable:\n%s", out)
	}
}

// nmapRun is how nmap XML readers see a scan (a subset of nmap.dtd).
type nmapRun struct {
	XMLName  xml.Name `xml:"nmaprun"`
	ScanInfo struct {
		Type     string `xml:"type,attr"`
		Protocol string `xml:"protocol,attr"`
		Services string `xml:"services,attr"`
	} `xml:"scaninfo"`
	Hosts []struct {
		Status struct {
			State string `xml:"state,attr"`
		} `xml:"status"`
		Address []struct {
			Addr string `xml:"addr,attr"`
			Type string `xml:"addrtype,attr"`
		} `xml:"address"`
		Ports struct {
			Extra []struct {
				State string `xml:"state,attr"`
				Count int    `xml:"count,attr"`
			} `xml:"extraports"`
			Port []struct {
				Protocol string `xml:"protocol,attr"`
				ID       int    `xml:"portid,attr"`
				State    struct {
					State  string `xml:"state,attr"`
					Reason string `xml:"reason,attr"`
				} `xml:"state"`
				Service struct {
					Name string `xml:"name,attr"`
				} `xml:"service"`
			} `xml:"port"`
		} `xml:"ports"`
	} `xml:"host"`
	RunStats struct {
		Finished struct {
			Exit string `xml:"exit,attr"`
		} `xml:"finished"`
		Hosts struct {
			Up int `xml:"up,attr"`
		} `xml:"hosts"`
	} `xml:"runstats"`
}

func TestScanXMLv6(t *testing.T) {
	a := listen(t, "tcp6", "[::1]:0")
	file := filepath.Join(t.TempDir(), "scan.xml")
	_, msg, code := run(t, &Options{Targets: []string{"::1"}, Ports: "1-100," + a.String(), XML: file, Retries: 1})
	if code != 0 {
		t.Fatalf("exit %d %s", code, msg)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n<!DOCTYPE nmaprun>")) {
		t.Errorf("header: %.80s", b)
	}
	var nr nmapRun
	if err := xml.Unmarshal(b, &nr); err != nil {
		t.Fatal(err)
	}
	h := nr.Hosts
	if nr.ScanInfo.Type != "connect" || nr.ScanInfo.Services != "1-100,"+a.String() || len(h) != 1 || h[0].Address[0].Addr != "::1" ||
		h[0].Address[0].Type != "ipv6" || h[0].Status.State != "up" || nr.RunStats.Finished.Exit != "success" {
		t.Fatalf("xml: %+v", nr)
	}
	if len(h[0].Ports.Port) != 1 || h[0].Ports.Port[0].ID != int(a) || h[0].Ports.Port[0].State.State != "open" ||
		len(h[0].Ports.Extra) != 1 || h[0].Ports.Extra[0].State != "closed" || h[0].Ports.Extra[0].Count < 99 {
		t.Errorf("xml ports: %+v", h[0].Ports)
	}
}

func TestScanServiceNames(t *testing.T) {
	out, _, code := run(t, &Options{Targets: []string{"127.0.0.1"}, Ports: "1-3", All: true})
	if code != 1 {
		t.Errorf("nothing open: exit %d, want 1", code)
	}
	if n := strings.Count(out, "\tclosed\t"); n != 3 {
		t.Errorf("want 3 closed rows:\n%s", out)
	}
}

func TestScanBadInput(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22,99999"}, `"99999"`},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22,nosuch-svc-x"}, `"nosuch-svc-x"`},
		{Options{Targets: []string{"10.9.0.0/20"}, Ports: "22"}, "--allow-large"},
		{Options{Targets: []string{"127.0.0.1"}, Top: 0}, "--top 0"},
		{Options{Targets: []string{"127.0.0.1"}, Top: 10, TopSource: "zmap"}, `"zmap"`},
		{Options{Targets: []string{"bad host"}, Ports: "22"}, `"bad host"`},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22", Rate: -1}, "negative"},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22", Concurrency: -3}, "--concurrency -3 is negative: want connects in flight, or 0 to size it from the descriptor limit"},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22", Retries: -1}, "--retries -1 is out of range: want 0-10"},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22", Retries: 100}, "--retries 100 is out of range: want 0-10"},
		{Options{Targets: []string{"127.0.0.1"}, Ports: "22", Timeout: -time.Second}, "--timeout -1s is negative: want a duration such as 500ms, or 0 to follow the round-trip time"},
		{Options{Targets: []string{"[::1"}, Ports: "22"}, `target "[::1" has an unmatched bracket: want an IPv6 address as ::1 or [::1]`},
		{Options{Targets: []string{"::1]"}, Ports: "22"}, `target "::1]" has an unmatched bracket`},
	} {
		o := c.o
		_, msg, code := run(t, &o)
		if code != 2 || !strings.Contains(msg, c.want) || strings.Count(strings.TrimSpace(msg), "\n") > 0 {
			t.Errorf("%+v: exit %d %q, want 2 naming %s", c.o, code, msg, c.want)
		}
	}
	// -p with --top through the command line.
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdScan(&cmdutil.Factory{IOStreams: ios, Registry: reg})
	cmd.SetArgs([]string{"127.0.0.1", "-p", "22", "--top", "5"})
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	if err := cmd.Execute(); cmdutil.ExitCode(err) != 2 {
		t.Errorf("-p with --top: %v", err)
	}
	// An empty -p or --xml is bad input, not "not given".
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"127.0.0.1", "-p", ""}, "-p is empty: want e.g. 22,80,443 or 8000-8100 or ssh,https or - for all"},
		{[]string{"127.0.0.1", "-p", "22", "--xml", ""}, "--xml is empty: want a FILE, or - for stdout"},
		{[]string{"127.0.0.1", "-p", "22", "--top-source", "nmap"}, "--top-source orders --top's ports and -p lists its own: give --top N --top-source nmap, or -p alone"},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdScan(&cmdutil.Factory{IOStreams: ios, Registry: reg})
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != c.msg {
			t.Errorf("scan %q: exit %d %q, want 2 %q", c.args, cmdutil.ExitCode(err), cmdutil.Message(err), c.msg)
		}
	}
}

func itoa(p int) string { return portolan.Port(p).String() }
