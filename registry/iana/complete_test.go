package iana

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry/iana/ianatest"
)

// realCSV is the real release in IANA's CSV layout, CRLF line ends as
// IANA serves it when crlf is set.
func realCSV(t testing.TB, crlf bool) []byte {
	t.Helper()
	d := parseReal(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, d.Records, d.RangeForm); err != nil {
		t.Fatal(err)
	}
	if crlf {
		return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n")) // quoted line breaks too, harmless
	}
	return b.Bytes()
}

// accepted parses in and checks completeness, as `registry update` does.
func accepted(in []byte) error {
	d, err := Parse(bytes.NewReader(in))
	if err != nil {
		return err
	}
	return CheckComplete(d)
}

// TestWholeReleasesAreComplete: both real releases, as XML and as CSV,
// pass CheckComplete.
func TestWholeReleasesAreComplete(t *testing.T) {
	for _, p := range []string{realXML, olderXML} {
		if err := accepted(ianatest.Gunzip(t, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, crlf := range []bool{false, true} {
		if err := accepted(realCSV(t, crlf)); err != nil {
			t.Errorf("csv (crlf %v): %v", crlf, err)
		}
	}
}

// TestTruncatedCSVRefused: IANA's CSV cut anywhere (inside a line, inside
// a quoted field, at a line break) is refused, either by the parser or by
// the completeness check; the cut of the audit, 4,731 of 14,533 records,
// among them.
func TestTruncatedCSVRefused(t *testing.T) {
	for _, crlf := range []bool{false, true} {
		full := realCSV(t, crlf)
		var cuts []int
		for i := 1; i < 12; i++ {
			cuts = append(cuts, len(full)*i/12)
		}
		cuts = append(cuts, len(full)-1, len(full)-100, len(full)-2000) // among the name-only records, past port 49151
		// Inside a quoted field that spans lines: right after its first
		// line break.
		if q := bytes.Index(full, []byte("\"Defined TXT keys:")); q > 0 {
			nl := bytes.IndexByte(full[q:], '\n')
			cuts = append(cuts, q+nl+1, q+5)
		} else {
			t.Fatal("no quoted multi-line field in the CSV")
		}
		// At the line break after record 4,731: the CSV of the first 4,731
		// records is a prefix of the whole one.
		var head bytes.Buffer
		WriteCSV(&head, parseReal(t).Records[:4731], nil)
		prefix := head.Bytes()
		if crlf {
			prefix = bytes.ReplaceAll(prefix, []byte("\n"), []byte("\r\n"))
		}
		if !bytes.HasPrefix(full, prefix) {
			t.Fatal("the CSV of 4,731 records is not a prefix of the whole")
		}
		at := len(prefix)
		cuts = append(cuts, at)
		d, err := Parse(bytes.NewReader(full[:at]))
		if err != nil {
			t.Fatalf("the first 4,731 records, cut at a line break, do not parse: %v", err)
		}
		if len(d.Records) != 4731 {
			t.Fatalf("the cut holds %d records", len(d.Records))
		}
		for _, n := range cuts {
			err := accepted(full[:n])
			if err == nil {
				t.Errorf("crlf %v: the CSV cut at byte %d of %d was accepted", crlf, n, len(full))
				continue
			}
			if portolan.ErrorCode(err) != portolan.EINVALID || strings.Contains(err.Error(), "\n") {
				t.Errorf("cut at %d: %q: want one EINVALID line", n, err)
			}
		}
		if err := accepted(full[:at]); err == nil || !strings.Contains(err.Error(), "the records stop at port") {
			t.Errorf("4,731 records: %v", err)
		}
	}
}

// TestTruncatedXMLRefused: the XML cut anywhere, or cut and closed again
// with </registry>, is refused.
func TestTruncatedXMLRefused(t *testing.T) {
	full := ianatest.Gunzip(t, realXML)
	for i := 1; i < 8; i++ {
		if err := accepted(full[:len(full)*i/8]); err == nil {
			t.Errorf("the XML cut at %d/8 was accepted", i)
		}
	}
	if err := accepted(full[:len(full)-20]); err == nil {
		t.Error("the XML cut inside </people> was accepted")
	}
	// Cut after a record and closed: no <people>.
	rec := bytes.Index(full[len(full)/3:], []byte("</record>")) + len(full)/3 + len("</record>")
	closed := append(bytes.Clone(full[:rec]), "\n</registry>\n"...)
	if err := accepted(closed); err == nil || !strings.Contains(err.Error(), "no <people> section") {
		t.Errorf("XML cut and closed: %v", err)
	}
	// Records dropped from the middle, <people> kept: a port is not covered.
	people := bytes.Index(full, []byte("<people>"))
	holed := append(bytes.Clone(full[:rec]), full[people-2:]...)
	if err := accepted(holed); err == nil || !strings.Contains(err.Error(), "the records stop at port") {
		t.Errorf("XML without its later records: %v", err)
	}
}

// TestProtocolCountsPlausible: a release whose UDP records went missing
// is refused though every port is still covered.
func TestProtocolCountsPlausible(t *testing.T) {
	d := *parseReal(t)
	d.Records = nil
	for _, s := range parseReal(t).Records {
		if s.Proto != portolan.UDP || s.Ports.Lo%4 == 0 {
			d.Records = append(d.Records, s)
		}
	}
	err := CheckComplete(&d)
	if err == nil || !strings.Contains(err.Error(), "6,606 tcp and") {
		t.Errorf("most udp records dropped: %v", err)
	}
}

// TestInputBounded: a file past 64 MiB, or gzip that inflates past it, is
// refused with one line saying so, without reading it all.
func TestInputBounded(t *testing.T) {
	dir := t.TempDir()
	big := dir + "/big.xml"
	if err := os.WriteFile(big, []byte("<registry"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxInput+1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	if _, err := ParseFile(big); err == nil || !strings.Contains(err.Error(), big+": larger than 64 MiB") {
		t.Errorf("a 64 MiB + 1 file: %v", err)
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte(strings.Join(CSVHeader, ",") + "\n"))
	zw.Write(make([]byte, MaxInput))
	zw.Close()
	if _, err := Parse(&bomb); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") || strings.Contains(err.Error(), "\n") {
		t.Errorf("gzip inflating past 64 MiB: %v", err)
	}
	// The real release, compressed, is read.
	if _, err := ParseFile(realXML); err != nil {
		t.Errorf("gzip release: %v", err)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 14533: "14,533", 1234567: "1,234,567", -4731: "-4,731"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
