package iana

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

func seed(f *testing.F, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// FuzzParse: any input either fails with one EINVALID line, or parses into
// records that survive the snapshot round trip and are all valid.
func FuzzParse(f *testing.F) {
	seed(f, "testdata/small.xml")
	seed(f, "testdata/small.csv")
	f.Add([]byte(`<registry id="service-names-port-numbers"><record><name>a</name><number>1-0</number></record></registry>`))
	f.Add([]byte("Service Name,Port Number,Transport Protocol,Description\nx,70000,tcp,d\n"))
	f.Add([]byte("\ufeffService Name,Port Number,Transport Protocol,Description\nx,7,,\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Parse(bytes.NewReader(in))
		if err != nil {
			if portolan.ErrorCode(err) != portolan.EINVALID || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want one EINVALID line", err)
			}
			return
		}
		for _, s := range d.Records {
			if s.HasPort && s.Ports.Lo > s.Ports.Hi || s.Proto > portolan.DCCP || s.Status > portolan.NameOnly {
				t.Fatalf("invalid record %+v", s)
			}
		}
		b, err := Encode(d)
		if err != nil {
			return // more refs or people than a snapshot holds
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("own snapshot refused: %v", err)
		}
		if len(got.Records) != len(d.Records) || !reflect.DeepEqual(got.Records, d.Records) {
			t.Fatalf("snapshot round trip differs")
		}
	})
}

// FuzzOpen: a damaged snapshot is refused when verified, never read out of
// bounds; lookups on any snapshot that opens stay in bounds.
func FuzzOpen(f *testing.F) {
	b := smallSnapshot(f)
	f.Add(b)
	f.Add(b[:headerSize+10])
	f.Fuzz(func(t *testing.T, in []byte) {
		sn, err := Open(string(in), true)
		if err != nil {
			return
		}
		for _, p := range []portolan.Port{0, 80, 6010, 65535} {
			for pr := portolan.ProtoAny; pr <= portolan.DCCP; pr++ {
				start, n := sn.PortRun(p, pr)
				for i := start; i < start+n; i++ {
					sn.Record(sn.OrderAt(i))
				}
			}
		}
		start, n := sn.NameRun("http")
		for i := start; i < start+n; i++ {
			sn.Record(sn.OrderAt(i))
		}
		sn.Data()
	})
}

// FuzzParseServices: whatever the input, every entry is a name and a port
// with a protocol, as glibc would read it; writing entries back and
// reparsing gives the same entries.
func FuzzParseServices(f *testing.F) {
	f.Add("http\t80/tcp\twww www-http # WorldWideWeb HTTP\n")
	f.Add("# comment only\n\nbad line\nx 70000/tcp\ny 5/\nz 7/udp#c\n")
	f.Add(NetbaseServices)
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ParseServices(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, e := range es {
			if e.Name == "" || e.Proto == "" || strings.ContainsAny(e.Name+e.Proto, " \t#") {
				t.Fatalf("bad entry %+v", e)
			}
			b.WriteString(e.Name + " " + e.Port.String() + "/" + e.Proto + " " + strings.Join(e.Aliases, " ") + "\n")
		}
		again, err := ParseServices(strings.NewReader(b.String()))
		if err != nil || len(again) != len(es) {
			t.Fatalf("reparse: %d entries, %v; want %d", len(again), err, len(es))
		}
		for i := range es {
			a, e := again[i], es[i]
			if a.Name != e.Name || a.Port != e.Port || a.Proto != e.Proto || strings.Join(a.Aliases, " ") != strings.Join(e.Aliases, " ") {
				t.Fatalf("entry %d: %+v became %+v", i, e, a)
			}
		}
	})
}
