package sockets

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// nativeLittle is the byte order of this machine's kernel.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// diagEntry is one socket as the kernel reports it, from netlink or from a
// /proc/net line.
type diagEntry struct {
	family uint8 // 4 or 6 here; the netlink path stores AF_INET/AF_INET6 and normalizes
	state  uint8
	local  netip.AddrPort
	remote netip.AddrPort
	uid    uint32
	inode  uint64
}

// socket turns an entry into the domain type; a peer of 0.0.0.0:0 or [::]:0
// means "no peer" and stays the zero AddrPort.
func (e *diagEntry) socket(proto portolan.Proto) portolan.Socket {
	s := portolan.Socket{Proto: proto, Local: e.local, State: StateName(e.state), Inode: e.inode, UID: e.uid}
	if e.remote.Port() != 0 || !e.remote.Addr().IsUnspecified() {
		s.Remote = e.remote
	}
	return s
}

// parseProcNet reads a /proc/net/{tcp,tcp6,udp,udp6} table and calls fn for
// each socket line. little is the byte order of the kernel that wrote the
// addresses (each 32-bit word is printed as a host-order hex number); lines
// that do not parse are skipped, as a newer kernel may add columns.
func parseProcNet(r io.Reader, little bool, fn func(*diagEntry)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		if e, ok := parseProcNetLine(sc.Bytes(), little); ok {
			fn(&e)
		}
	}
	return sc.Err()
}

// parseProcNetLine parses one table row:
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//	0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 12345 ...
func parseProcNetLine(line []byte, little bool) (diagEntry, bool) {
	var e diagEntry
	var f [10][]byte
	n := 0
	for rest := line; n < len(f); n++ {
		rest = bytes.TrimLeft(rest, " \t")
		if len(rest) == 0 {
			break
		}
		i := bytes.IndexAny(rest, " \t")
		if i < 0 {
			i = len(rest)
		}
		f[n], rest = rest[:i], rest[i:]
	}
	if n < len(f) || len(f[0]) < 2 || f[0][len(f[0])-1] != ':' {
		return e, false
	}
	var ok1, ok2 bool
	e.local, e.family, ok1 = parseHexAddrPort(f[1], little)
	var fam2 uint8
	e.remote, fam2, ok2 = parseHexAddrPort(f[2], little)
	st, ok3 := parseHex(f[3], 2)
	uid, ok4 := procfs.ParseDec(f[7])
	inode, ok5 := procfs.ParseDec(f[9])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || fam2 != e.family || st == 0 || uid > 1<<32-1 {
		return diagEntry{}, false
	}
	e.state, e.uid, e.inode = uint8(st), uint32(uid), inode
	return e, true
}

// parseHexAddrPort parses "0100007F:1F90" (IPv4) or 32 hex digits and a
// port (IPv6).
func parseHexAddrPort(b []byte, little bool) (netip.AddrPort, uint8, bool) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, 0, false
	}
	port, ok := parseHex(b[i+1:], 4)
	if !ok {
		return netip.AddrPort{}, 0, false
	}
	a := b[:i]
	var raw [16]byte
	if len(a) != 8 && len(a) != 32 {
		return netip.AddrPort{}, 0, false
	}
	for w := 0; w < len(a)/8; w++ {
		v, ok := parseHex(a[w*8:w*8+8], 8)
		if !ok {
			return netip.AddrPort{}, 0, false
		}
		if little {
			binary.LittleEndian.PutUint32(raw[w*4:], uint32(v))
		} else {
			binary.BigEndian.PutUint32(raw[w*4:], uint32(v))
		}
	}
	if len(a) == 8 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[:4])), uint16(port)), 4, true
	}
	return netip.AddrPortFrom(netip.AddrFrom16(raw), uint16(port)), 6, true
}

// parseHex parses 1 to max hex digits.
func parseHex(b []byte, max int) (uint64, bool) {
	if len(b) == 0 || len(b) > max {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}
