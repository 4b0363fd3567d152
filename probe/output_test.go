package probe

import (
	"bytes"
	"encoding/xml"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

// results makes one result per port in [lo, hi] with state and reason.
func results(lo, hi portolan.Port, st State, reason string) []Result {
	var out []Result
	for p := lo; p <= hi; p++ {
		out = append(out, Result{Target: "127.0.0.1", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p)), Port: p, State: st, Reason: reason, Service: "svc"})
	}
	return out
}

func meta() Meta {
	t := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	return Meta{Args: "portolan scan", Version: "test", Start: t, End: t.Add(time.Second)}
}

// Collapsed states are written as nmap 7.93 writes them: one extraports per
// state, the larger first, with one extrareasons per reason (the larger
// first, then by name) and its ports.
func TestXMLExtraReasonsPerReason(t *testing.T) {
	var res []Result
	res = append(res, results(27000, 27000, Open, "syn-ack")...)
	res = append(res, results(27001, 27080, Closed, "conn-refused")...)
	res = append(res, results(27100, 27130, Filtered, "no-response")...)
	res = append(res, results(27200, 27204, Filtered, "host-unreach")...)
	var b bytes.Buffer
	if err := WriteXML(&b, Group(res, ShowDefault), meta()); err != nil {
		t.Fatal(err)
	}
	var run xmlRun
	if err := xml.Unmarshal(b.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	ex := run.Hosts[0].Ports.Extra
	if len(ex) != 2 || ex[0].State != "closed" || ex[0].Count != 80 || ex[1].State != "filtered" || ex[1].Count != 36 {
		t.Fatalf("extraports = %+v; want closed 80 then filtered 36", ex)
	}
	want := []xmlExtraReason{{"no-response", 31, "tcp", "27100-27130"}, {"host-unreach", 5, "tcp", "27200-27204"}}
	if len(ex[1].Reasons) != 2 || ex[1].Reasons[0] != want[0] || ex[1].Reasons[1] != want[1] {
		t.Errorf("filtered extrareasons = %+v; want %+v", ex[1].Reasons, want)
	}
	if r := ex[0].Reasons; len(r) != 1 || r[0] != (xmlExtraReason{"conn-refused", 80, "tcp", "27001-27080"}) {
		t.Errorf("closed extrareasons = %+v", r)
	}
}

// Grepable output names one ignored state, or none when two are collapsed
// (nmap 7.93 writes no "Ignored State" then, never two).
func TestGrepableIgnoredState(t *testing.T) {
	for _, c := range []struct {
		res  []Result
		want string
	}{
		{append(results(1, 1, Open, "syn-ack"), results(2, 40, Closed, "conn-refused")...), "\tIgnored State: closed (39)\n"},
		{append(results(1, 1, Open, "syn-ack"), results(2, 40, Filtered, "no-response")...), "\tIgnored State: filtered (39)\n"},
		{append(append(results(1, 1, Open, "syn-ack"), results(2, 40, Closed, "conn-refused")...), results(41, 80, Filtered, "no-response")...), "1/open/tcp//svc///\n"},
	} {
		var b bytes.Buffer
		if err := WriteGrepable(&b, Group(c.res, ShowDefault), meta()); err != nil {
			t.Fatal(err)
		}
		if strings.Count(b.String(), "Ignored State") > 1 || !strings.Contains(b.String(), c.want) {
			t.Errorf("grepable:\n%s\nwant a line ending %q", b.String(), c.want)
		}
	}
}

// A banner does not push the process out: both are scripts of the port.
func TestXMLBannerKeepsTheProcess(t *testing.T) {
	res := results(22, 22, Open, "syn-ack")
	res[0].Banner = "SSH-2.0-OpenSSH_9.2"
	res[0].Process = &portolan.Process{PID: 42, Name: "sshd"}
	var b bytes.Buffer
	if err := WriteXML(&b, Group(res, ShowDefault), meta()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<script id="banner" output="SSH-2.0-OpenSSH_9.2">`, `<script id="portolan-process" output="sshd[42]">`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("XML lacks %s:\n%s", want, b.String())
		}
	}
}
