package scan

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testnet"
)

// The parts of nmap's XML the comparison reads.
type nmapFile struct {
	Hosts []struct {
		Ports struct {
			Extra []struct {
				State   string `xml:"state,attr"`
				Count   int    `xml:"count,attr"`
				Reasons []struct {
					Reason string `xml:"reason,attr"`
					Count  int    `xml:"count,attr"`
					Ports  string `xml:"ports,attr"`
				} `xml:"extrareasons"`
			} `xml:"extraports"`
			Ports []struct {
				PortID int `xml:"portid,attr"`
				State  struct {
					State  string `xml:"state,attr"`
					Reason string `xml:"reason,attr"`
				} `xml:"state"`
				Service *struct {
					Name string `xml:"name,attr"`
				} `xml:"service"`
			} `xml:"port"`
		} `xml:"ports"`
	} `xml:"host"`
}

func readNmapFile(t *testing.T, path string) nmapFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r nmapFile
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(r.Hosts) != 1 {
		t.Fatalf("%s: %d hosts, want 1", path, len(r.Hosts))
	}
	return r
}

// summary renders what nmap and portolan must agree on: the collapsed
// states with one line per reason and its ports, and every listed port
// with its state, reason and whether it has a service name.
func (r nmapFile) summary() []string {
	var out []string
	for _, e := range r.Hosts[0].Ports.Extra {
		out = append(out, "extraports "+e.State+" "+itoa(e.Count))
		for _, x := range e.Reasons {
			out = append(out, "  extrareasons "+x.Reason+" "+itoa(x.Count)+" "+x.Ports)
		}
	}
	for _, p := range r.Hosts[0].Ports.Ports {
		out = append(out, "port "+itoa(p.PortID)+" "+p.State.State+" "+p.State.Reason+" named="+itoa(btoi(p.Service != nil && p.Service.Name != "")))
	}
	return out
}

// portolan's XML and grepable output against nmap 7.93's own, on the same
// namespace host: open, closed, dropped (no-response) and ICMP-rejected
// (host-unreach) ports, collapsed and listed.
func TestScanMatchesNmap(t *testing.T) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap is not installed (scripts/install-deps.sh installs it)")
	}
	ns := testnet.New(t, testnet.Options{})
	if _, err := ns.Listen(":2000"); err != nil {
		t.Fatal(err)
	}
	var drop []portolan.Port
	for p := portolan.Port(2100); p <= 2130; p++ {
		drop = append(drop, p)
	}
	if err := ns.Drop(drop...); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Exec("nft", "add", "rule", "inet", "portolan_test", "input", "tcp", "dport", "2200-2204", "reject", "with", "icmpx", "type", "host-unreachable"); err != nil {
		t.Fatal(err)
	}
	// The kernel sends one ICMP error a second per peer after a burst of
	// six: without the limit every rejected port answers, to nmap and to
	// portolan alike, and the two files can be compared.
	if _, err := ns.Exec("sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, ports string }{
		{"two collapsed states", "2000-2080,2100-2130,2200-2204"},
		{"closed listed", "2000-2010,2100-2130"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			addr := ns.Addr.String()
			cmd := exec.Command(nmap, "-sT", "-n", "-Pn", "--max-retries", "1", "-p", c.ports, addr,
				"-oX", filepath.Join(dir, "nmap.xml"), "-oG", filepath.Join(dir, "nmap.gnmap"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nmap: %v: %s", err, out)
			}
			xmlFile := filepath.Join(dir, "portolan.xml")
			out, msg, code := run(t, &Options{Targets: []string{addr}, Ports: c.ports, Grepable: true, XML: xmlFile, Retries: 1})
			if code != 0 {
				t.Fatalf("portolan scan: exit %d %s", code, msg)
			}
			want, got := readNmapFile(t, filepath.Join(dir, "nmap.xml")).summary(), readNmapFile(t, xmlFile).summary()
			if !slices.Equal(want, got) {
				t.Errorf("XML differs from nmap's:\nnmap:\n  %s\nportolan:\n  %s", strings.Join(want, "\n  "), strings.Join(got, "\n  "))
			}
			gn, err := os.ReadFile(filepath.Join(dir, "nmap.gnmap"))
			if err != nil {
				t.Fatal(err)
			}
			if n, m := strings.Count(string(gn), "Ignored State:"), strings.Count(out, "Ignored State:"); n != m {
				t.Errorf("grepable: nmap writes %d Ignored State fields, portolan %d:\n%s\n%s", n, m, gn, out)
			}
			if ports := grepPorts(string(gn)); ports != grepPorts(out) {
				t.Errorf("grepable ports:\nnmap     %s\nportolan %s", ports, grepPorts(out))
			}
		})
	}
}

// grepPorts returns the port/state/protocol triples of a grepable Ports
// field, without the service names (the tables differ).
func grepPorts(s string) string {
	_, rest, ok := strings.Cut(s, "Ports: ")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "\t")
	rest, _, _ = strings.Cut(rest, "\n")
	var out []string
	for f := range strings.SplitSeq(rest, ", ") {
		parts := strings.Split(f, "/")
		if len(parts) >= 5 {
			out = append(out, parts[0]+"/"+parts[1]+"/"+parts[2]+" named="+itoa(btoi(parts[4] != "")))
		}
	}
	return strings.Join(out, ", ")
}
