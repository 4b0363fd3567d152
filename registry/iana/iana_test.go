package iana

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// Two real IANA releases, gzip-compressed, are kept in testdata: the one
// the embedded snapshot is generated from and an older one for diffs.
const (
	realXML  = "testdata/service-names-port-numbers.xml.gz"
	olderXML = "testdata/service-names-port-numbers-2025-08-26.xml.gz"
)

var realData *Data

func parseReal(t testing.TB) *Data {
	t.Helper()
	if realData == nil {
		d, err := ParseFile(realXML)
		if err != nil {
			t.Fatal(err)
		}
		realData = d
	}
	return realData
}

// TestRealRegistryCounts pins the counts docs/architecture.md gives for the 2026-08-17
// release.
func TestRealRegistryCounts(t *testing.T) {
	d := parseReal(t)
	st := Count(d)
	want := Stats{
		Records: 14533, Ranges: 766, WithoutNumber: 1070, MultiNamePairs: 226, MultiPortNames: 34,
		MixedCaseNames: 39, Names: 7327, Unauthorized: 112, People: 5589,
		// docs/architecture.md's 171 empty descriptions include 5 that start with <br/>
		// and then have text ("<br/><br/>IANA assigned this well-formed
		// service name..."); the parser keeps that text.
		EmptyDesc: 166,
		ByProto:   map[string]int{"tcp": 6606, "udp": 6356, "sctp": 93, "dccp": 11, "": 1467},
		ByStatus: map[string]int{"assigned": 11549, "alias": 188, "historic": 3, "name-only": 1070,
			"removed": 42, "reserved": 793, "unassigned": 888},
		Refs: map[string]int{"person": 11129, "rfc": 393, "draft": 15, "uri": 15, "text": 16, "note": 8},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("counts\n got %+v\nwant %+v", st, want)
	}
	if d.Updated != "2026-08-17" {
		t.Errorf("updated %q, want 2026-08-17", d.Updated)
	}
	for i, s := range d.Records {
		if s.HasPort && s.Ports.Hi > 49151 {
			t.Errorf("record %d %q lies above 49151: %v", i, s.Name, s.Ports)
		}
		for _, p := range []*portolan.Person{s.Assignee, s.Contact} {
			if p != nil && p.Name == "" && p.Org == "" && p.URI == "" {
				t.Errorf("record %q: person %q not resolved through <people>", s.Name, p.ID)
			}
		}
	}
}

func find(t *testing.T, d *Data, name string, proto portolan.Proto) portolan.Service {
	t.Helper()
	for _, s := range d.Records {
		if s.Name == name && s.Proto == proto {
			return s
		}
	}
	t.Fatalf("no record %s/%s", name, proto)
	return portolan.Service{}
}

// TestRecordFields checks whole records from the fixture, which is cut
// from the real XML, field by field.
func TestRecordFields(t *testing.T) {
	d, err := ParseFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	if d.Updated != "2026-08-17" || d.Source != "small.xml" {
		t.Errorf("updated %q source %q", d.Updated, d.Source)
	}
	http := find(t, d, "http", portolan.TCP)
	wantHTTP := portolan.Service{
		Name: "http", Proto: portolan.TCP, Ports: portolan.SinglePort(80), HasPort: true, Status: portolan.Assigned,
		Description: "World Wide Web HTTP",
		Assignee:    &portolan.Person{ID: "IESG", Org: "IESG", URI: "mailto:iesg&ietf.org"},
		Contact:     &portolan.Person{ID: "IETF_Chair", Name: "IETF Chair", Org: "IETF", URI: "mailto:chair&ietf.org"},
		Refs:        []portolan.Ref{{Type: "person", Data: "IETF_Chair"}, {Type: "rfc", Data: "rfc9110"}},
		Updated:     "2021-10-01",
		Note:        "Defined TXT keys: u=<username> p=<password> path=<path to document>",
	}
	if !reflect.DeepEqual(http, wantHTTP) {
		t.Errorf("http/tcp\n got %+v\nwant %+v", http, wantHTTP)
	}
	if s := find(t, d, "www", portolan.TCP); s.Status != portolan.Alias || s.AliasOf != "http" {
		t.Errorf("www/tcp: status %v alias of %q, want alias of http", s.Status, s.AliasOf)
	}
	if s := find(t, d, "whois++", portolan.TCP); s.Status != portolan.Alias || s.AliasOf != "whoispp" {
		t.Errorf("whois++: status %v alias of %q, want alias of whoispp", s.Status, s.AliasOf)
	}
	if s := find(t, d, "whoispp", portolan.TCP); s.Description != "whois++\n\nIANA assigned this well-formed service name as a replacement for \"whois++\"." {
		t.Errorf("whoispp: <br/> must become line breaks: %q", s.Description)
	}
	if s := find(t, d, "finger", portolan.TCP); s.Unauthorized != "Unauthorized use by some mail users (see [RFC4146] for details)" ||
		s.Assignee == nil || s.Assignee.ID != "David_Zimmerman" || s.Contact.ID != "David_Zimmerman" {
		t.Errorf("finger: %+v", s)
	}
	if s := find(t, d, "discard", portolan.DCCP); s.ServiceCode != "1145656131" {
		t.Errorf("discard/dccp service code %q", s.ServiceCode)
	}
	if s := find(t, d, "x11", portolan.TCP); s.Ports != portolan.MustParseRange("6000-6063") {
		t.Errorf("x11 ports %v", s.Ports)
	}
	if s := find(t, d, "jmap", portolan.TCP); s.HasPort || s.Status != portolan.NameOnly || !strings.Contains(s.Note, "JSON Mail Access Protocol") {
		t.Errorf("jmap: %+v", s)
	}
	wot := find(t, d, "wot", portolan.TCP)
	if lines := strings.Split(wot.Note, "\n"); lines[0] != "Defined TXT keys:" || !strings.HasPrefix(lines[1], "td: Absolute pathname") {
		t.Errorf("wot: <paragraph>s must become lines: %q", wot.Note)
	}
	if wot.Registered != "2022-11-22" || wot.Updated != "2022-12-15" {
		t.Errorf("wot dates %q %q", wot.Registered, wot.Updated)
	}
	if s := find(t, d, "msp", portolan.TCP); s.Status != portolan.Historic {
		t.Errorf("msp: status %v, want historic", s.Status)
	}
	if s := find(t, d, "new-rwho", portolan.TCP); !reflect.DeepEqual(s.Refs, []portolan.Ref{{Type: "text", Data: "n/a"}}) {
		t.Errorf("new-rwho refs %+v", s.Refs)
	}
	var removed, reserved, unassigned, note int
	for _, s := range d.Records {
		switch {
		case s.Status == portolan.Removed:
			removed++
		case s.Status == portolan.Reserved:
			reserved++
		case s.Status == portolan.Unassigned:
			unassigned++
		}
		for _, r := range s.Refs {
			if r.Type == "note" && r.Data == "1" {
				note++
			}
		}
	}
	if removed == 0 || reserved == 0 || unassigned == 0 || note == 0 {
		t.Errorf("fixture statuses: removed %d reserved %d unassigned %d note refs %d", removed, reserved, unassigned, note)
	}
	if s := firstPort(d, 2, portolan.TCP); s.Status != portolan.Removed || !strings.Contains(s.Note, "De-assigned") {
		t.Errorf("2/tcp (de-assigned compressnet): %+v", s)
	}
}

func firstPort(d *Data, p portolan.Port, proto portolan.Proto) portolan.Service {
	for _, s := range d.Records {
		if s.HasPort && s.Ports.Contains(p) && s.Proto == proto {
			return s
		}
	}
	return portolan.Service{}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	good, err := os.ReadFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, in, want string
	}{
		{"port out of range", strings.Replace(string(good), "<number>79</number>", "<number>70000</number>", 1), `<number> "70000" is not a port or range`},
		{"bad protocol", strings.Replace(string(good), "<protocol>udp</protocol>", "<protocol>icmp</protocol>", 1), `<protocol> "icmp"`},
		{"bad date", strings.Replace(string(good), `updated="2021-10-01"`, `updated="yesterday"`, 1), `updated="yesterday"`},
		{"truncated", string(good[:len(good)/2]), "unexpected EOF"},
		{"not well-formed", strings.Replace(string(good), "</record>", "</recrod>", 1), "not well-formed XML"},
		{"other registry", `<registry xmlns="http://www.iana.org/assignments" id="protocol-numbers"></registry>`, "is not IANA's"},
		{"empty", "", "empty file"},
		{"no records", `<registry id="service-names-port-numbers"><updated>2020-01-01</updated></registry>`, "no <record>"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.in))
		if err == nil {
			t.Errorf("%s: parsed", c.name)
			continue
		}
		msg := err.Error()
		if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one EINVALID line containing %q", c.name, msg, c.want)
		}
		if c.name != "empty" && c.name != "other registry" && !strings.HasPrefix(msg, "line ") {
			t.Errorf("%s: error %q does not name the line", c.name, msg)
		}
	}
	// The line is the right one.
	bad := strings.Replace(string(good), "<number>79</number>", "<number>x</number>", 1)
	line := strings.Count(bad[:strings.Index(bad, "<number>x</number>")], "\n") + 1
	_, err = Parse(strings.NewReader(bad))
	if want := "line " + itoa(line) + ":"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want it to start with %q", err, want)
	}
}

func itoa(n int) string { return portolan.Port(n).String() }

// TestSnapshotRoundTrip: decoding an encoded snapshot gives back every
// record exactly.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, name := range []string{"small", "real"} {
		var d *Data
		if name == "small" {
			var err error
			if d, err = ParseFile("testdata/small.xml"); err != nil {
				t.Fatal(err)
			}
		} else {
			d = parseReal(t)
		}
		b, err := Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			for i := range d.Records {
				if !reflect.DeepEqual(got.Records[i], d.Records[i]) {
					t.Fatalf("%s: record %d\n got %+v\nwant %+v", name, i, got.Records[i], d.Records[i])
				}
			}
			t.Fatalf("%s: decoded data differs: %v %v", name, got.Updated, got.RangeForm)
		}
		if b2, _ := Encode(got); !bytes.Equal(b, b2) {
			t.Errorf("%s: encoding is not deterministic", name)
		}
	}
}

// TestCommittedSnapshotIsGenerated proves registry/iana.snap is exactly what
// `go generate ./registry` makes from the compressed XML in testdata.
func TestCommittedSnapshotIsGenerated(t *testing.T) {
	want, err := Generate(realXML)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../iana.snap")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("registry/iana.snap (%d bytes) is not what the generator makes (%d bytes): run go generate ./registry", len(got), len(want))
	}
}

// smallSnapshot returns the snapshot encoding of testdata/small.xml.
func smallSnapshot(tb testing.TB) []byte {
	tb.Helper()
	d, err := ParseFile("testdata/small.xml")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := Encode(d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestOpenRefusesDamage(t *testing.T) {
	b := smallSnapshot(t)
	for _, mutate := range []func([]byte) []byte{
		func(b []byte) []byte { return b[:len(b)/2] },
		func(b []byte) []byte { b[len(b)-7] ^= 0x40; return b },
		func(b []byte) []byte { b[0] = 'X'; return b },
		func(b []byte) []byte { return nil },
	} {
		c := mutate(bytes.Clone(b))
		if _, err := Open(string(c), true); err == nil || !strings.HasPrefix(err.Error(), "not a portolan snapshot") {
			t.Errorf("damaged snapshot: err %v", err)
		}
	}
}

// TestDiffReleases compares the two real releases in testdata.
func TestDiffReleases(t *testing.T) {
	newer := parseReal(t)
	older, err := ParseFile(olderXML)
	if err != nil {
		t.Fatal(err)
	}
	dl := Diff(older, newer)
	if dl.OldUpdated != "2025-08-26" || dl.NewUpdated != "2026-08-17" {
		t.Errorf("dates %s %s", dl.OldUpdated, dl.NewUpdated)
	}
	// Every record of the new release is accounted for.
	if got := len(older.Records) + len(dl.Added) - len(dl.Removed); got != len(newer.Records) {
		t.Errorf("old %d + added %d - removed %d = %d, want %d", len(older.Records), len(dl.Added), len(dl.Removed), got, len(newer.Records))
	}
	if len(dl.Added) == 0 || len(dl.Changed) == 0 {
		t.Errorf("added %d changed %d: want both", len(dl.Added), len(dl.Changed))
	}
	for _, c := range dl.Changed {
		if len(c.Fields) == 0 || reflect.DeepEqual(c.Old, c.New) {
			t.Errorf("change without a difference: %+v", c)
		}
	}
	if same := Diff(newer, newer); len(same.Added)+len(same.Removed)+len(same.Changed) != 0 {
		t.Errorf("a release differs from itself: %+v", same)
	}
}
