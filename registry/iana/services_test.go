package iana

import (
	"bytes"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestParseServices(t *testing.T) {
	in := "# header\nhttp\t\t80/tcp\t\twww www-http\t# WorldWideWeb HTTP\n\nbroken\nx 99999/tcp\nsmtp 25/tcp mail#no space\n"
	es, err := ParseServices(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Name != "http" || es[0].Port != 80 || es[0].Proto != "tcp" ||
		strings.Join(es[0].Aliases, ",") != "www,www-http" || es[1].Name != "smtp" || strings.Join(es[1].Aliases, ",") != "mail" || es[1].Line != 6 {
		t.Errorf("entries %+v", es)
	}
}

// resolver answers name and port lookups over parsed /etc/services lines
// the way glibc (first line, exact name) and Go's net.LookupPort (last
// line, the query lower-cased, the file's names as written) do.
type resolver struct {
	entries           []ServicesEntry
	first, last, port map[string]ServicesEntry // "name/proto" and "port/proto"
}

func newResolver(es []ServicesEntry) resolver {
	r := resolver{entries: es, first: map[string]ServicesEntry{}, last: map[string]ServicesEntry{}, port: map[string]ServicesEntry{}}
	for _, e := range es {
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			k := n + "/" + e.Proto
			if _, ok := r.first[k]; !ok {
				r.first[k] = e
			}
			if e.Port > 0 {
				r.last[k] = e
			}
		}
		if k := e.Port.String() + "/" + e.Proto; r.port[k].Name == "" {
			r.port[k] = e
		}
	}
	return r
}

func (r resolver) glibcName(name, proto string) (portolan.Port, bool) {
	e, ok := r.first[name+"/"+proto]
	return e.Port, ok
}

func (r resolver) goName(name, proto string) (portolan.Port, bool) {
	e, ok := r.last[strings.ToLower(name)+"/"+proto]
	return e.Port, ok
}

func (r resolver) glibcPort(port portolan.Port, proto string) (string, bool) {
	e, ok := r.port[port.String()+"/"+proto]
	return e.Name, ok
}

func writeServices(t *testing.T, lead []ServicesEntry) (string, resolver) {
	t.Helper()
	d := parseReal(t)
	var b bytes.Buffer
	if err := WriteServices(&b, d.Records, d.Updated, lead); err != nil {
		t.Fatal(err)
	}
	es, err := ParseServices(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), newResolver(es)
}

// TestWriteServicesAgreesWithNetbase: every name and port of Debian's
// netbase file resolves in the export as in netbase itself (glibc's first
// line), whether read as glibc does or as Go does; IANA's other names
// follow, each name on one port so both readers agree on them too.
func TestWriteServicesAgreesWithNetbase(t *testing.T) {
	text, out := writeServices(t, nil)
	nb, err := ParseServices(strings.NewReader(NetbaseServices))
	if err != nil || len(nb) < 300 {
		t.Fatalf("netbase: %d entries, %v", len(nb), err)
	}
	base := newResolver(nb)
	for _, e := range nb {
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			want, _ := base.glibcName(n, e.Proto)
			if got, _ := out.glibcName(n, e.Proto); got != want {
				t.Errorf("glibc: %s/%s is %d, netbase says %d", n, e.Proto, got, want)
			}
			if got, _ := out.goName(n, e.Proto); got != want {
				t.Errorf("Go: %s/%s is %d, netbase says %d", n, e.Proto, got, want)
			}
		}
		want, _ := base.glibcPort(e.Port, e.Proto)
		if got, _ := out.glibcPort(e.Port, e.Proto); got != want {
			t.Errorf("glibc: %d/%s is %s, netbase says %s", e.Port, e.Proto, got, want)
		}
	}
	// Every name, netbase's or IANA's, resolves the same in both readers.
	names := 0
	for _, e := range out.entries {
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			g, _ := out.glibcName(n, e.Proto)
			if o, _ := out.goName(n, e.Proto); o != g && e.Proto != "ddp" && n == strings.ToLower(n) {
				t.Errorf("%s/%s: glibc %d, Go %d", n, e.Proto, g, o)
			}
			names++
		}
	}
	for _, c := range []struct {
		name, proto string
		port        portolan.Port
	}{
		{"http-alt", "tcp", 8080}, {"nfs", "tcp", 2049}, {"x11", "tcp", 6000}, {"dicom", "tcp", 104},
		{"ircu", "tcp", 6665}, // a range name netbase lacks: on its first port
		{"skytale", "tcp", 4319}, {"www-http", "tcp", 80}, {"XmlIpcRegSvc", "udp", 9092},
	} {
		if got, ok := out.glibcName(c.name, c.proto); !ok || got != c.port {
			t.Errorf("%s/%s resolves to %d (%v), want %d", c.name, c.proto, got, ok, c.port)
		}
	}
	for _, c := range []struct {
		port        portolan.Port
		proto, name string
	}{{2049, "tcp", "nfs"}, {80, "tcp", "http"}, {8080, "tcp", "http-alt"}, {6010, "tcp", ""}, {4319, "tcp", "skytale"}} {
		if got, _ := out.glibcPort(c.port, c.proto); got != c.name {
			t.Errorf("%d/%s is %q, want %q", c.port, c.proto, got, c.name)
		}
	}
	if strings.Count(text, "\nhttp-alt ") != 1 || !strings.Contains(text, "# Network services, Internet style") {
		t.Errorf("http-alt must stand on one line (8080, netbase's), and netbase's file verbatim")
	}
	if names < 10000 {
		t.Errorf("only %d names exported", names)
	}
	// Reserved, unassigned and removed records are not services.
	if _, ok := out.glibcPort(0, "tcp"); ok {
		t.Error("0/tcp (Reserved) is exported")
	}
}

// TestWriteServicesLeadWins: lead lines (the organisation's assignments)
// win for both readers, even over a netbase name.
func TestWriteServicesLeadWins(t *testing.T) {
	_, out := writeServices(t, []ServicesEntry{{Name: "http", Port: 8081, Proto: "tcp", Comment: "our proxy"}, {Name: "billing", Port: 7001, Proto: "tcp"}})
	for _, n := range []struct {
		name string
		port portolan.Port
	}{{"http", 8081}, {"billing", 7001}, {"www", 80}} {
		g, _ := out.glibcName(n.name, "tcp")
		o, _ := out.goName(n.name, "tcp")
		if g != n.port || o != n.port {
			t.Errorf("%s/tcp: glibc %d, Go %d, want %d", n.name, g, o, n.port)
		}
	}
	if out.entries[0].Comment != "our proxy" {
		t.Errorf("first line %+v", out.entries[0])
	}
}
