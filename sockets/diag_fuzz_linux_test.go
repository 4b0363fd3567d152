package sockets

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// diagDatagram builds what the kernel sends: inet_diag_msg messages for
// the given sockets, then NLMSG_DONE.
func diagDatagram(seq uint32, locals ...netip.AddrPort) []byte {
	ne := binary.NativeEndian
	var b []byte
	for i, ap := range locals {
		m := make([]byte, nlmsgHdrLen+diagMsgLen)
		ne.PutUint32(m[0:], uint32(len(m)))
		ne.PutUint16(m[4:], unix.SOCK_DIAG_BY_FAMILY)
		ne.PutUint32(m[8:], seq)
		p := m[nlmsgHdrLen:]
		p[0], p[1] = unix.AF_INET6, stListen
		if ap.Addr().Is4() {
			p[0] = unix.AF_INET
			a := ap.Addr().As4()
			copy(p[8:], a[:])
		} else {
			a := ap.Addr().As16()
			copy(p[8:], a[:])
		}
		binary.BigEndian.PutUint16(p[4:], ap.Port())
		ne.PutUint32(p[64:], 1000)
		ne.PutUint32(p[68:], uint32(100+i))
		b = append(b, m...)
	}
	done := make([]byte, nlmsgHdrLen+4)
	ne.PutUint32(done[0:], uint32(len(done)))
	ne.PutUint16(done[4:], nlmDone)
	ne.PutUint32(done[8:], seq)
	return append(b, done...)
}

func TestReaderDecodesADump(t *testing.T) {
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("[::1]:53")}
	var got []diagEntry
	r := reader{seq: 7, fn: func(e *diagEntry) bool { got = append(got, *e); return true }}
	// An answer to an older request (seq 6) is skipped.
	b := append(diagDatagram(6, netip.MustParseAddrPort("10.0.0.1:1")), diagDatagram(7, want...)...)
	done, err := r.read(b)
	if !done || err != nil || len(got) != 2 {
		t.Fatalf("read = %v, %v, %+v; want the two sockets of seq 7 and done", done, err, got)
	}
	for i, e := range got {
		if e.local != want[i] || e.state != stListen || e.uid != 1000 || e.inode != uint64(100+i) || e.family != [2]uint8{4, 6}[i] {
			t.Errorf("socket %d = %+v; want %s, LISTEN, uid 1000, inode %d", i, e, want[i], 100+i)
		}
	}
}

// FuzzReader feeds arbitrary datagrams to the netlink decoder: it must
// never panic, and whatever it accepts must be a well-formed entry.
func FuzzReader(f *testing.F) {
	f.Add(diagDatagram(1, netip.MustParseAddrPort("127.0.0.1:80")))
	f.Add(diagDatagram(1, netip.MustParseAddrPort("[::1]:443"), netip.MustParseAddrPort("0.0.0.0:22")))
	f.Add([]byte{})
	f.Add(make([]byte, nlmsgHdrLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := reader{seq: 1, fn: func(e *diagEntry) bool {
			if e.family != 4 && e.family != 6 || !e.local.IsValid() {
				t.Fatalf("accepted %+v", e)
			}
			return true
		}}
		r.read(b)
	})
}
