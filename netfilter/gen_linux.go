package netfilter

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Netlink numbers (linux/netfilter/nfnetlink.h, nf_tables.h).
const (
	nfnlSubsysNFTables = 10
	nftMsgNewGen       = 15
	nftMsgGetGen       = 16
	nftaGenID          = 1
	soNetnsCookie      = 71 // SO_NETNS_COOKIE, Linux 5.14
)

// generation returns this network namespace's nftables generation, which
// every ruleset change (nft, iptables-nft, firewalld) bumps, and the
// namespace's cookie, which no other namespace ever has. Together they
// name one ruleset exactly; ok is false when either cannot be read.
func generation() (gen uint32, cookie uint64, ok bool) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return 0, 0, false
	}
	defer unix.Close(fd)
	if cookie, err = unix.GetsockoptUint64(fd, unix.SOL_SOCKET, soNetnsCookie); err != nil || cookie == 0 {
		return 0, 0, false
	}
	tv := unix.Timeval{Sec: 1}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	req := make([]byte, 20)
	binary.NativeEndian.PutUint32(req[0:], 20)
	binary.NativeEndian.PutUint16(req[4:], nfnlSubsysNFTables<<8|nftMsgGetGen)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(req[8:], 1)
	// nfgenmsg: family AF_UNSPEC, version NFNETLINK_V0, res_id 0.
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, 0, false
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil || n < 20 {
		return 0, 0, false
	}
	msg := buf[:n]
	l := int(binary.NativeEndian.Uint32(msg[0:]))
	typ := binary.NativeEndian.Uint16(msg[4:])
	if typ != nfnlSubsysNFTables<<8|nftMsgNewGen || l > n || l < 20 {
		return 0, 0, false
	}
	for a := msg[20:l]; len(a) >= 4; {
		al := int(binary.NativeEndian.Uint16(a[0:]))
		at := binary.NativeEndian.Uint16(a[2:]) & 0x3fff
		if al < 4 || al > len(a) {
			return 0, 0, false
		}
		if at == nftaGenID && al >= 8 {
			return binary.BigEndian.Uint32(a[4:8]), cookie, true
		}
		a = a[min(len(a), (al+3)&^3):]
	}
	return 0, 0, false
}
