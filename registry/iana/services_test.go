package iana

import (
	"bytes"
	"strings"
	"testing"
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

// TestWriteServices: the output reads back under glibc's rules with the
// primary name first, aliases after it, one line per port and protocol.
// (The export verb's test also feeds it to getent itself.)
func TestWriteServices(t *testing.T) {
	d, err := ParseFile("testdata/small.xml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteServices(&b, d.Records, d.Updated); err != nil {
		t.Fatal(err)
	}
	es, err := ParseServices(&b)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var http *ServicesEntry
	for i, e := range es {
		k := e.Port.String() + "/" + e.Proto
		if seen[k] {
			t.Errorf("two lines for %s", k)
		}
		seen[k] = true
		if k == "80/tcp" {
			http = &es[i]
		}
		if e.Name == "" || strings.Contains(e.Name, "x11") {
			t.Errorf("unexpected entry %+v (ranges have no services syntax)", e)
		}
	}
	if http == nil || http.Name != "http" || strings.Join(http.Aliases, " ") != "www www-http" {
		t.Errorf("80/tcp line: %+v, want http with aliases www www-http", http)
	}
	if seen["0/tcp"] || seen["47/tcp"] {
		t.Error("reserved and removed ports must not appear")
	}
}
