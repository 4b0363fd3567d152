package iana

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// TestCSVFixture reads a CSV in IANA's layout, as served at
// https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.csv.
func TestCSVFixture(t *testing.T) {
	d, err := ParseFile("testdata/small.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 9 {
		t.Fatalf("%d records, want 9", len(d.Records))
	}
	http := d.Records[2]
	want := portolan.Service{
		Name: "http", Proto: portolan.TCP, Ports: portolan.SinglePort(80), HasPort: true, Status: portolan.Assigned,
		Description: "World Wide Web HTTP", Assignee: &portolan.Person{ID: "IESG"}, Contact: &portolan.Person{ID: "IETF_Chair"},
		Updated: "2021-10-01", Refs: []portolan.Ref{{Type: "rfc", Data: "rfc9110"}},
		Note: "Defined TXT keys: u=<username> p=<password> path=<path to document>",
	}
	if !reflect.DeepEqual(http, want) {
		t.Errorf("http\n got %+v\nwant %+v", http, want)
	}
	if s := d.Records[3]; s.Status != portolan.Alias || s.AliasOf != "http" {
		t.Errorf("www: %+v", s)
	}
	if s := d.Records[4]; s.Ports != portolan.MustParseRange("6000-6063") || s.Name != "x11" {
		t.Errorf("x11: %+v", s)
	}
	if s := d.Records[5]; s.Status != portolan.Unassigned || s.Ports.Len() != 8 {
		t.Errorf("272-279: %+v", s)
	}
	if s := d.Records[6]; s.HasPort || s.Status != portolan.NameOnly || !strings.Contains(s.Description, "\n") {
		t.Errorf("name-only with a two-line description: %+v", s)
	}
	if s := d.Records[7]; s.ServiceCode != "1145656131" || s.Proto != portolan.DCCP {
		t.Errorf("discard/dccp: %+v", s)
	}
	if s := d.Records[8]; s.Unauthorized == "" || !reflect.DeepEqual(s.Refs, []portolan.Ref{{Type: "text", Data: "n/a"}, {Type: "draft", Data: "RFC-ietf-emailcore-rfc5321bis-43"}}) {
		t.Errorf("finger refs %+v", s.Refs)
	}
	if d.Updated != "2024-12-20" {
		t.Errorf("updated %q: want the newest record date", d.Updated)
	}
}

// TestCSVRoundTrip: WriteCSV's output parses back to the same records
// (people keep only their ids in CSV).
func TestCSVRoundTrip(t *testing.T) {
	d, err := ParseFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, d.Records, d.RangeForm); err != nil {
		t.Fatal(err)
	}
	got, err := ParseCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != len(d.Records) || !reflect.DeepEqual(got.RangeForm, d.RangeForm) {
		t.Fatalf("%d records (range form %v), want %d (%v)", len(got.Records), got.RangeForm, len(d.Records), d.RangeForm)
	}
	for i, w := range d.Records {
		for _, p := range []**portolan.Person{&w.Assignee, &w.Contact} {
			if *p != nil {
				*p = &portolan.Person{ID: (*p).ID}
			}
		}
		if !reflect.DeepEqual(got.Records[i], w) {
			t.Errorf("record %d\n got %+v\nwant %+v", i, got.Records[i], w)
		}
	}
}

func TestCSVErrorsNameTheLine(t *testing.T) {
	good, err := os.ReadFile("testdata/small.csv")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, in, want string }{
		{"bad port", strings.Replace(string(good), ",79,", ",79x,", 1), `line 11: Port Number "79x"`},
		{"bad protocol", strings.Replace(string(good), "x11,6000-6063,tcp", "x11,6000-6063,tpc", 1), `line 6: Transport Protocol "tpc"`},
		{"bad date", strings.Replace(string(good), "2021-10-01", "01/10/2021", 1), `line 4: Modification Date "01/10/2021"`},
		{"bad quoting", string(good) + "x,\"1\n", "not valid CSV"},
		{"no header", "http,80,tcp,World Wide Web HTTP\n", `header has no "Service Name" column`},
		{"header only", strings.Join(CSVHeader, ",") + "\n", "no records"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.in))
		if err == nil || portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", c.name, err, c.want)
		}
	}
}
