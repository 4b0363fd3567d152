package sockets

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// Real lines from a little-endian machine's /proc/net tables.
const (
	tcp4Fixture = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22334 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 123460 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:A2C4 0100007F:1F90 06 00000000:00000000 03:000016C7 00000000     0        0 0 3 0000000000000000
`
	tcp6Fixture = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 555 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 556 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F91 0000000000000000FFFF00000100007F:E2A0 01 00000000:00000000 00:00000000 00000000   998        0 557 1 0000000000000000 20 4 30 10 -1
`
	udp4Fixture = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  771: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 17001 2 0000000000000000 0
 1240: 0100007F:E3F4 0100007F:0035 01 00000000:00000000 00:00000000 00000000  1000        0 17002 2 0000000000000000 0
`
)

func parseAll(t *testing.T, text string, proto portolan.Proto) []portolan.Socket {
	t.Helper()
	var out []portolan.Socket
	err := parseProcNet(strings.NewReader(text), true, func(e *diagEntry) {
		out = append(out, e.socket(proto))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseProcNetTCP4(t *testing.T) {
	got := parseAll(t, tcp4Fixture, portolan.TCP)
	want := []portolan.Socket{
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:8080"), State: "LISTEN", Inode: 123456, UID: 1000},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:22"), State: "LISTEN", Inode: 22334},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("127.0.0.1:54321"), State: "ESTABLISHED", Inode: 123460, UID: 1000},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:41668"), Remote: netip.MustParseAddrPort("127.0.0.1:8080"), State: "TIME_WAIT"},
	}
	assertSockets(t, got, want)
}

func TestParseProcNetTCP6(t *testing.T) {
	got := parseAll(t, tcp6Fixture, portolan.TCP)
	want := []portolan.Socket{
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("[::1]:8081"), State: "LISTEN", Inode: 555, UID: 998},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("[::]:80"), State: "LISTEN", Inode: 556},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:8081"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:58016"), State: "ESTABLISHED", Inode: 557, UID: 998},
	}
	assertSockets(t, got, want)
}

func TestParseProcNetUDP4(t *testing.T) {
	got := parseAll(t, udp4Fixture, portolan.UDP)
	want := []portolan.Socket{
		{Proto: portolan.UDP, Local: netip.MustParseAddrPort("127.0.0.53:53"), State: "UNCONN", Inode: 17001, UID: 101},
		{Proto: portolan.UDP, Local: netip.MustParseAddrPort("127.0.0.1:58356"), Remote: netip.MustParseAddrPort("127.0.0.1:53"), State: "ESTABLISHED", Inode: 17002, UID: 1000},
	}
	assertSockets(t, got, want)
	if !got[0].Listening() || got[1].Listening() {
		t.Errorf("Listening: bound UDP = %v, connected UDP = %v; want true, false", got[0].Listening(), got[1].Listening())
	}
}

func TestParseProcNetSkipsBadLines(t *testing.T) {
	bad := []string{
		"",
		"   0: 0100007F:1F90",
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0",                      // no inode
		"   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1",             // bad hex
		"   0: 0100007F:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 1000 0 1",                          // mixed families
		"   0: 0100007F:11F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1",            // port > 16 bits
		"   0: 0100007F:1F90 00000000:0000 00 00000000:00000000 00:00000000 00000000  1000        0 1",             // state 0
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  99999999999 0 1",             // uid > 32 bits
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 99999999999999999999", // inode overflow
		"0 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1",                 // no colon after sl
	}
	for _, l := range bad {
		if e, ok := parseProcNetLine([]byte(l), true); ok {
			t.Errorf("parseProcNetLine(%q) = %+v, want a rejected line", l, e)
		}
	}
}

func TestParseProcNetLineAllocs(t *testing.T) {
	line := []byte(strings.Split(tcp6Fixture, "\n")[1])
	if n := testing.AllocsPerRun(100, func() { parseProcNetLine(line, true) }); n != 0 {
		t.Errorf("parseProcNetLine allocates %v times per line, want 0", n)
	}
}

// FuzzParseProcNetLine checks that no line crashes the parser and that a
// parsed line round-trips: printing the entry back in the kernel's format
// parses to the same entry.
func FuzzParseProcNetLine(f *testing.F) {
	for _, fx := range []string{tcp4Fixture, tcp6Fixture, udp4Fixture} {
		for _, l := range strings.Split(fx, "\n") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := parseProcNetLine([]byte(line), true)
		if !ok {
			return
		}
		if e.family != 4 && e.family != 6 || e.state == 0 {
			t.Fatalf("parsed %q to %+v", line, e)
		}
		again, ok := parseProcNetLine([]byte(formatProcNetLine(e)), true)
		if !ok || again != e {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v", line, e, formatProcNetLine(e), again)
		}
	})
}

// formatProcNetLine prints e as a little-endian kernel would.
func formatProcNetLine(e diagEntry) string {
	hexAddr := func(ap netip.AddrPort) string {
		var b strings.Builder
		raw := ap.Addr().As16()
		words := raw[:]
		if e.family == 4 {
			a4 := ap.Addr().As4()
			words = a4[:]
		}
		for w := 0; w < len(words); w += 4 {
			b.WriteString(strings.ToUpper(hex32(binary.LittleEndian.Uint32(words[w:]))))
		}
		b.WriteString(":")
		b.WriteString(strings.ToUpper(hex16(ap.Port())))
		return b.String()
	}
	return "   0: " + hexAddr(e.local) + " " + hexAddr(e.remote) + " " + hex8(e.state) +
		" 00000000:00000000 00:00000000 00000000 " + itoa(uint64(e.uid)) + " 0 " + itoa(e.inode) + " 1 0000000000000000"
}

func hex32(v uint32) string { return hexN(uint64(v), 8) }
func hex16(v uint16) string { return hexN(uint64(v), 4) }
func hex8(v uint8) string   { return hexN(uint64(v), 2) }

func hexN(v uint64, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b)
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func assertSockets(t *testing.T, got, want []portolan.Socket) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d sockets, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("socket %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}
