package probe

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/portolan-dev/portolan"
)

// The types below follow nmap.dtd (xmloutputversion 1.05), so tools that
// read nmap -oX output (Metasploit's db_import, python-libnmap, Zenmap,
// xsltproc with nmap.xsl) read portolan's scans.

type xmlRun struct {
	XMLName          xml.Name    `xml:"nmaprun"`
	Scanner          string      `xml:"scanner,attr"`
	Args             string      `xml:"args,attr"`
	Start            int64       `xml:"start,attr"`
	StartStr         string      `xml:"startstr,attr"`
	Version          string      `xml:"version,attr"`
	XMLOutputVersion string      `xml:"xmloutputversion,attr"`
	ScanInfo         xmlScanInfo `xml:"scaninfo"`
	Verbose          xmlLevel    `xml:"verbose"`
	Debugging        xmlLevel    `xml:"debugging"`
	Hosts            []xmlHost   `xml:"host"`
	RunStats         xmlRunStats `xml:"runstats"`
}

type xmlScanInfo struct {
	Type        string `xml:"type,attr"`
	Protocol    string `xml:"protocol,attr"`
	NumServices int    `xml:"numservices,attr"`
	Services    string `xml:"services,attr"`
}

type xmlLevel struct {
	Level int `xml:"level,attr"`
}

type xmlHost struct {
	StartTime int64        `xml:"starttime,attr"`
	EndTime   int64        `xml:"endtime,attr"`
	Status    xmlStatus    `xml:"status"`
	Address   xmlAddress   `xml:"address"`
	Hostnames xmlHostnames `xml:"hostnames"`
	Ports     xmlPorts     `xml:"ports"`
	Times     xmlTimes     `xml:"times"`
}

type xmlStatus struct {
	State     string `xml:"state,attr"`
	Reason    string `xml:"reason,attr"`
	ReasonTTL string `xml:"reason_ttl,attr"`
}

type xmlAddress struct {
	Addr     string `xml:"addr,attr"`
	AddrType string `xml:"addrtype,attr"`
}

type xmlHostnames struct {
	Names []xmlHostname `xml:"hostname"`
}

type xmlHostname struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
}

type xmlPorts struct {
	Extra []xmlExtraPorts `xml:"extraports"`
	Ports []xmlPort       `xml:"port"`
}

type xmlExtraPorts struct {
	State   string           `xml:"state,attr"`
	Count   int              `xml:"count,attr"`
	Reasons []xmlExtraReason `xml:"extrareasons"`
}

type xmlExtraReason struct {
	Reason string `xml:"reason,attr"`
	Count  int    `xml:"count,attr"`
	Proto  string `xml:"proto,attr"`
	Ports  string `xml:"ports,attr"`
}

type xmlPort struct {
	Protocol string      `xml:"protocol,attr"`
	PortID   int         `xml:"portid,attr"`
	State    xmlState    `xml:"state"`
	Service  *xmlService `xml:"service"`
	Scripts  []xmlScript `xml:"script"`
}

type xmlState struct {
	State     string `xml:"state,attr"`
	Reason    string `xml:"reason,attr"`
	ReasonTTL string `xml:"reason_ttl,attr"`
}

type xmlService struct {
	Name   string `xml:"name,attr"`
	Method string `xml:"method,attr"`
	Conf   string `xml:"conf,attr"`
}

type xmlScript struct {
	ID     string `xml:"id,attr"`
	Output string `xml:"output,attr"`
}

type xmlTimes struct {
	SRTT   string `xml:"srtt,attr"`
	RTTVar string `xml:"rttvar,attr"`
	To     string `xml:"to,attr"`
}

type xmlRunStats struct {
	Finished xmlFinished `xml:"finished"`
	Hosts    xmlHostsCnt `xml:"hosts"`
}

type xmlFinished struct {
	Time    int64  `xml:"time,attr"`
	TimeStr string `xml:"timestr,attr"`
	Summary string `xml:"summary,attr"`
	Elapsed string `xml:"elapsed,attr"`
	Exit    string `xml:"exit,attr"`
}

type xmlHostsCnt struct {
	Up    int `xml:"up,attr"`
	Down  int `xml:"down,attr"`
	Total int `xml:"total,attr"`
}

// WriteXML writes the scan in nmap's XML format. Service names come from
// the IANA registry (method "table", as nmap names its own table lookups)
// for every listed port, whatever its state, as nmap does; a banner is a
// "banner" script element and the owning process a "portolan-process"
// one, which nmap readers treat as script output. Collapsed states are
// extraports elements, the larger first, each with one extrareasons per
// reason (the larger first) and its ports, as nmap 7.93 writes them.
func WriteXML(w io.Writer, hosts []Host, m Meta) error {
	run := xmlRun{
		Scanner: "portolan", Args: m.Args, Start: m.Start.Unix(), StartStr: m.Start.Format(time.ANSIC),
		Version: m.Version, XMLOutputVersion: "1.05",
		ScanInfo: xmlScanInfo{Type: "connect", Protocol: "tcp", NumServices: m.NPorts, Services: m.Ports},
	}
	us := func(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }
	for _, h := range hosts {
		xh := xmlHost{
			StartTime: m.Start.Unix(), EndTime: m.End.Unix(),
			Status:  xmlStatus{State: "up", Reason: "user-set", ReasonTTL: "0"},
			Address: xmlAddress{Addr: h.Addr.String(), AddrType: "ipv4"},
			Times:   xmlTimes{SRTT: us(m.Stats.SRTT), RTTVar: us(m.Stats.RTTVar), To: us(m.Stats.Timeout)},
		}
		if h.Addr.Is6() {
			xh.Address.AddrType = "ipv6"
		}
		if h.Target != h.Addr.String() {
			xh.Hostnames.Names = []xmlHostname{{Name: h.Target, Type: "user"}}
		}
		xh.Ports.Extra = extraPorts(h)
		for _, r := range h.Shown {
			xp := xmlPort{Protocol: "tcp", PortID: int(r.Port), State: xmlState{State: r.State.String(), Reason: r.Reason, ReasonTTL: "0"}}
			if r.Service != "" {
				xp.Service = &xmlService{Name: r.Service, Method: "table", Conf: "3"}
			}
			if r.Banner != "" {
				xp.Scripts = append(xp.Scripts, xmlScript{ID: "banner", Output: r.Banner})
			}
			if r.Process != nil {
				xp.Scripts = append(xp.Scripts, xmlScript{ID: "portolan-process", Output: fmt.Sprintf("%s[%d]", r.Process.Name, r.Process.PID)})
			}
			xh.Ports.Ports = append(xh.Ports.Ports, xp)
		}
		run.Hosts = append(run.Hosts, xh)
	}
	elapsed := m.End.Sub(m.Start).Seconds()
	run.RunStats = xmlRunStats{
		Finished: xmlFinished{Time: m.End.Unix(), TimeStr: m.End.Format(time.ANSIC), Elapsed: fmt.Sprintf("%.2f", elapsed), Exit: "success",
			Summary: fmt.Sprintf("portolan done at %s; %d IP address(es) (%d hosts up) scanned in %.2f seconds", m.End.Format(time.ANSIC), len(hosts), len(hosts), elapsed)},
		Hosts: xmlHostsCnt{Up: len(hosts), Total: len(hosts)},
	}
	if _, err := io.WriteString(w, xml.Header+"<!DOCTYPE nmaprun>\n"); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(run); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// extraports summarises the collapsed states of h: per state, the ports
// grouped by reason. A state is collapsed whole (Group decides per
// state), so every result in it is hidden.
func extraPorts(h Host) []xmlExtraPorts {
	var out []xmlExtraPorts
	for _, st := range []State{Closed, Filtered} {
		n := h.Hidden[st]
		if n == 0 {
			continue
		}
		byReason := map[string][]portolan.Port{}
		for _, r := range h.Results {
			if r.State == st {
				byReason[r.Reason] = append(byReason[r.Reason], r.Port)
			}
		}
		ep := xmlExtraPorts{State: st.String(), Count: n}
		for reason, ports := range byReason {
			ep.Reasons = append(ep.Reasons, xmlExtraReason{Reason: reason, Count: len(ports), Proto: "tcp", Ports: FormatPorts(ports)})
		}
		slices.SortFunc(ep.Reasons, func(a, b xmlExtraReason) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
		})
		out = append(out, ep)
	}
	slices.SortStableFunc(out, func(a, b xmlExtraPorts) int { return cmp.Compare(b.Count, a.Count) })
	return out
}
