package registry

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry/iana"
)

func names(ss []portolan.Service) string {
	var b []string
	for _, s := range ss {
		n := s.Name
		if n == "" {
			n = "(" + s.Status.String() + ")"
		}
		if s.Status == portolan.Alias {
			n += "~"
		}
		b = append(b, n+"/"+s.Proto.String())
	}
	return strings.Join(b, " ")
}

func TestEmbeddedSnapshot(t *testing.T) {
	r := Embedded()
	if r.Len() != 14533 || r.Updated() != "2026-08-17" || r.Source() != "service-names-port-numbers.xml" || r.Path() != "" {
		t.Errorf("embedded: %d records, updated %q, source %q, path %q", r.Len(), r.Updated(), r.Source(), r.Path())
	}
	st := iana.Count(&iana.Data{Records: r.Records()})
	if st.ByProto["tcp"] != 6606 || st.ByProto["udp"] != 6356 || st.WithoutNumber != 1070 || st.MultiNamePairs != 226 {
		t.Errorf("embedded counts %+v", st)
	}
}

func TestByPort(t *testing.T) {
	r := Embedded()
	cases := []struct {
		port  portolan.Port
		proto portolan.Proto
		want  string
	}{
		{80, portolan.TCP, "http/tcp www~/tcp www-http~/tcp"},
		{6010, portolan.TCP, "x11/tcp"},
		{6010, portolan.ProtoAny, "x11/tcp x11/udp"},
		{53, portolan.UDP, "domain/udp"},
		{0, portolan.TCP, "(reserved)/tcp"},
		{2, portolan.TCP, "(removed)/tcp"},
		{272, portolan.TCP, "(unassigned)/"}, // IANA lists 272-279 without a protocol
		{50000, portolan.TCP, ""},
		{65535, portolan.ProtoAny, ""},
		{9, portolan.DCCP, "discard/dccp"},
	}
	for _, c := range cases {
		if got := names(r.ByPort(c.port, c.proto)); got != c.want {
			t.Errorf("ByPort(%d, %q) = %q, want %q", c.port, c.proto, got, c.want)
		}
	}
	// Every protocol's answer is the ProtoAny answer restricted to it.
	for p := 0; p <= portolan.MaxPort; p += 7 {
		all := r.ByPort(portolan.Port(p), portolan.ProtoAny)
		n := 0
		for _, q := range portolan.Protos {
			for _, s := range r.ByPort(portolan.Port(p), q) {
				if !s.Ports.Contains(portolan.Port(p)) || (s.Proto != q && s.Proto != portolan.ProtoAny) {
					t.Fatalf("ByPort(%d, %s) holds %+v", p, q, s)
				}
				if s.Proto == q {
					n++
				}
			}
		}
		for _, s := range all {
			if s.Proto == portolan.ProtoAny {
				n++
			}
		}
		if n != len(all) {
			t.Fatalf("port %d: per-protocol answers hold %d records, ProtoAny %d", p, n, len(all))
		}
	}
}

func TestByName(t *testing.T) {
	r := Embedded()
	got := r.ByName("xmlipcregsvc")
	if len(got) != 2 || got[0].Name != "XmlIpcRegSvc" || got[0].Ports.Lo != 9092 {
		t.Errorf("xmlipcregsvc: %+v", got)
	}
	var ports []string
	for _, s := range r.ByName("HTTP-ALT") {
		ports = append(ports, s.Ports.String()+"/"+s.Proto.String())
	}
	if strings.Join(ports, " ") != "591/tcp 591/udp 8008/tcp 8008/udp 8080/tcp 8080/udp" {
		t.Errorf("http-alt: %v", ports)
	}
	if got := r.ByName("no-such-service"); got != nil {
		t.Errorf("unknown name: %+v", got)
	}
	if got := r.ByName("jmap"); len(got) != 1 || got[0].HasPort {
		t.Errorf("jmap (name only): %+v", got)
	}
	// Every named record is found by its name, in any case.
	for _, s := range r.Records() {
		if s.Name == "" {
			continue
		}
		found := false
		for _, x := range r.ByName(strings.ToUpper(s.Name)) {
			found = found || (x.Name == s.Name && x.Proto == s.Proto && x.Ports == s.Ports)
		}
		if !found {
			t.Fatalf("%s/%s on %v not found by name", s.Name, s.Proto, s.Ports)
		}
	}
}

func TestPrimaryAndAssigned(t *testing.T) {
	r := Embedded()
	if s, ok := r.Primary(80, portolan.TCP); !ok || s.Name != "http" {
		t.Errorf("Primary(80/tcp) = %q %v", s.Name, ok)
	}
	if s, ok := r.Primary(63, portolan.TCP); !ok || s.Name != "whoispp" {
		t.Errorf("Primary(63/tcp) = %q %v, want whoispp before its alias whois++", s.Name, ok)
	}
	if _, ok := r.Primary(272, portolan.TCP); ok {
		t.Error("272/tcp is unassigned, has no primary")
	}
	for _, c := range []struct {
		p     portolan.Port
		proto portolan.Proto
		want  bool
	}{{443, portolan.TCP, true}, {6010, portolan.UDP, true}, {0, portolan.TCP, false}, {272, portolan.UDP, false}, {5173, portolan.TCP, false}, {10250, portolan.TCP, false}, {50000, portolan.ProtoAny, false}} {
		if got := r.Assigned(c.p, c.proto); got != c.want {
			t.Errorf("Assigned(%d/%s) = %v", c.p, c.proto, got)
		}
	}
}

// TestLookupsDoNotAllocate pins zero allocations for lookups by port and by
// name once a record has been decoded.
func TestLookupsDoNotAllocate(t *testing.T) {
	r := Embedded()
	r.ByPort(443, portolan.TCP)
	r.ByName("XmlIpcRegSvc")
	r.Primary(80, portolan.TCP)
	for name, f := range map[string]func(){
		"ByPort":    func() { r.ByPort(443, portolan.TCP) },
		"ByPortAny": func() { r.ByPort(443, portolan.ProtoAny) },
		"ByName":    func() { r.ByName("XmlIpcRegSvc") },
		"Primary":   func() { r.Primary(80, portolan.TCP) },
		"Assigned":  func() { r.Assigned(80, portolan.TCP) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s allocates %.1f times per call", name, n)
		}
	}
}

func TestSearch(t *testing.T) {
	r := Embedded()
	hits := r.Search("http", 5)
	if len(hits) != 5 || hits[0].Name != "http" {
		t.Fatalf("search http: %+v", hits)
	}
	if hits := r.Search("kerberos", 0); hits[0].Name != "kerberos" || len(hits) < 10 {
		t.Errorf("search kerberos: first %q of %d", hits[0].Name, len(hits))
	}
	// Several words must all match; ranking by name beats description.
	hits = r.Search("secure shell", 0)
	if len(hits) == 0 || hits[0].Name != "ssh" {
		t.Errorf("search secure shell: %+v", hits)
	}
	for _, h := range hits {
		low := strings.ToLower(h.Name + " " + h.Description)
		if !strings.Contains(low, "secure") || !strings.Contains(low, "shell") {
			t.Errorf("hit %q lacks a word", h.Name)
		}
	}
	if hits := r.Search("XMLIPC", 0); len(hits) != 2 || hits[0].Name != "XmlIpcRegSvc" {
		t.Errorf("case-insensitive search: %+v", hits)
	}
	if hits := r.Search("zzzqqq", 0); len(hits) != 0 {
		t.Errorf("nonsense found %d", len(hits))
	}
	if hits := r.Search("  ", 0); hits != nil {
		t.Error("blank query found something")
	}
}

// TestSystemServicesAgree: every name and port of Debian's /etc/services
// (netbase, kept in the repository) that IANA also has resolves the same way
// in portolan: the port's records include the name, and the name's records
// include the port.
func TestSystemServicesAgree(t *testing.T) {
	sys, err := iana.ParseServices(strings.NewReader(iana.NetbaseServices))
	if err != nil {
		t.Fatal(err)
	}
	r := Embedded()
	checked := 0
	for _, e := range sys {
		proto, err := portolan.ParseProto(e.Proto)
		if err != nil || proto == portolan.ProtoAny {
			continue
		}
		for _, name := range append([]string{e.Name}, e.Aliases...) {
			onPort := false
			for _, s := range r.ByPort(e.Port, proto) {
				onPort = onPort || strings.EqualFold(s.Name, name)
			}
			if !onPort {
				continue // IANA does not have this name on this port: a local addition
			}
			checked++
			byName := false
			for _, s := range r.ByName(name) {
				byName = byName || (s.Proto == proto && s.Ports.Contains(e.Port))
			}
			if !byName {
				t.Errorf("/etc/services line %d: %s %d/%s resolves by port but not by name", e.Line, name, e.Port, e.Proto)
			}
		}
		// The primary name of a line that IANA assigns on the port is
		// the one portolan finds for that port.
		if s, ok := r.Primary(e.Port, proto); ok && strings.EqualFold(s.Name, e.Name) {
			continue
		}
		for _, s := range r.ByName(e.Name) {
			if s.Proto == proto && s.HasPort && !s.Ports.Contains(e.Port) && s.Status != portolan.Alias && len(r.ByName(e.Name)) <= 2 {
				t.Errorf("/etc/services line %d: %s is %d/%s there, %v in IANA", e.Line, e.Name, e.Port, e.Proto, s.Ports)
			}
		}
	}
	if checked < 200 {
		t.Errorf("only %d /etc/services names agree with IANA; want most of them", checked)
	}
}

func BenchmarkByPort(b *testing.B) {
	r := Embedded()
	r.ByPort(443, portolan.TCP)
	b.ReportAllocs()
	for b.Loop() {
		r.ByPort(443, portolan.TCP)
	}
}

func BenchmarkByPortAny(b *testing.B) {
	r := Embedded()
	r.ByPort(6010, portolan.ProtoAny)
	b.ReportAllocs()
	for b.Loop() {
		r.ByPort(6010, portolan.ProtoAny)
	}
}

func BenchmarkByName(b *testing.B) {
	r := Embedded()
	r.ByName("xmlipcregsvc")
	b.ReportAllocs()
	for b.Loop() {
		r.ByName("xmlipcregsvc")
	}
}

func BenchmarkSearchOneWord(b *testing.B) {
	r := Embedded()
	r.Search("kerberos", 0)
	b.ReportAllocs()
	for b.Loop() {
		r.Search("kerberos", 0)
	}
}

// BenchmarkOpenEmbedded is the start-up cost: opening the snapshot and the
// first lookup.
func BenchmarkOpenEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(embedded, false)
		if err != nil {
			b.Fatal(err)
		}
		r.ByPort(443, portolan.TCP)
	}
}
