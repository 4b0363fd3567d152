package sockets

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The netlink and inet_diag wire format (linux/netlink.h, linux/inet_diag.h),
// encoded by hand: a request is a 16-byte nlmsghdr and a 56-byte
// inet_diag_req_v2; each answer is a nlmsghdr and a 72-byte inet_diag_msg.
const (
	nlmsgHdrLen   = 16
	diagReqLen    = 56
	diagMsgLen    = 72
	nlmDone       = 3
	nlmError      = 2
	nlmFRequest   = 0x1
	nlmFDump      = 0x300
	diagRecvBytes = 64 << 10 // the kernel fills at most 32 KiB per dump read
)

// diagConn is a NETLINK_SOCK_DIAG socket and its receive buffer.
type diagConn struct {
	fd  int
	buf []byte
	seq uint32
}

// errRefused marks netlink failures after which /proc/net still answers:
// no netlink at all (sandboxes, seccomp) or no diag module for a protocol.
var errRefused = errors.New("sock_diag refused")

func refusedErrno(err error) bool {
	var en unix.Errno
	if !errors.As(err, &en) {
		return false
	}
	switch en {
	case unix.EPERM, unix.EACCES, unix.EAFNOSUPPORT, unix.EPROTONOSUPPORT, unix.ENOENT,
		unix.EOPNOTSUPP, unix.EINVAL, unix.ENOSYS:
		return true
	}
	return false
}

func openDiag() (*diagConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		if refusedErrno(err) {
			return nil, errRefused
		}
		return nil, err
	}
	// A dump never blocks for long, but a bounded read keeps a wedged
	// kernel from hanging the command.
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return &diagConn{fd: fd, buf: bufPool.Get().(*[diagRecvBytes]byte)[:]}, nil
}

// bufPool keeps receive buffers for callers that poll (wait, kill).
var bufPool = sync.Pool{New: func() any { return new([diagRecvBytes]byte) }}

func (c *diagConn) close() {
	unix.Close(c.fd)
	bufPool.Put((*[diagRecvBytes]byte)(c.buf))
}

// Bytecode ops (enum in linux/inet_diag.h) and the request attribute
// that carries them.
const (
	bcSGE           = 2
	bcSLE           = 3
	reqBytecodeAttr = 1
	bytecodeLen     = 16 // two 8-byte ops: each a {code, yes, no} op and a {no = port} operand
)

// request encodes an inet_diag_req_v2 dump request. The state bit mask, the
// source port in the socket id and the bytecode are filters the kernel
// applies while it walks its hash tables: inet_diag_dump_icsk and udp_dump
// compare id.idiag_sport when it is not zero, so a one-port query sends
// back only that port's sockets, and a port range runs as "sport >= lo &&
// sport <= hi" bytecode.
func request(b []byte, seq uint32, family, proto uint8, states uint32, lo, hi uint16) []byte {
	n := nlmsgHdrLen + diagReqLen
	useBC := lo != hi && (lo > 0 || hi < 65535)
	if useBC {
		n += 4 + bytecodeLen
	}
	b = b[:n]
	clear(b)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = family, proto
	ne.PutUint32(r[4:], states)
	if lo == hi {
		binary.BigEndian.PutUint16(r[8:], lo)
	}
	if useBC {
		a := r[diagReqLen:]
		ne.PutUint16(a[0:], 4+bytecodeLen)
		ne.PutUint16(a[2:], reqBytecodeAttr)
		bc := a[4:]
		// A false test jumps 4 bytes past the end, which rejects the
		// socket; a true one falls through to the next op, and running
		// off the end exactly accepts it.
		bc[0], bc[1] = bcSGE, 8
		ne.PutUint16(bc[2:], 16+4)
		ne.PutUint16(bc[6:], lo)
		bc[8], bc[9] = bcSLE, 8
		ne.PutUint16(bc[10:], 8+4)
		ne.PutUint16(bc[14:], hi)
	}
	return b
}

// parseDiagMsg decodes an inet_diag_msg payload.
func parseDiagMsg(p []byte) (diagEntry, bool) {
	if len(p) < diagMsgLen {
		return diagEntry{}, false
	}
	e := diagEntry{state: p[1]}
	sport := binary.BigEndian.Uint16(p[4:])
	dport := binary.BigEndian.Uint16(p[6:])
	switch p[0] {
	case unix.AF_INET:
		e.family = 4
		e.local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[8:12])), sport)
		e.remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[24:28])), dport)
	case unix.AF_INET6:
		e.family = 6
		e.local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[8:24])), sport)
		e.remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[24:40])), dport)
	default:
		return diagEntry{}, false
	}
	ne := binary.NativeEndian
	e.uid = ne.Uint32(p[64:])
	e.inode = uint64(ne.Uint32(p[68:]))
	return e, true
}

// dump runs one inet_diag dump and calls fn for each socket until fn
// returns false; the rest of the dump is then read and dropped, so the
// connection is ready for the next request. Errors the kernel reports for
// the request itself (no udp_diag module, a refused request) are
// errRefused.
func (c *diagConn) dump(ctx context.Context, family, proto uint8, states uint32, lo, hi uint16, fn func(*diagEntry) bool) error {
	c.seq++
	req := request(c.buf, c.seq, family, proto, states, lo, hi)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		if refusedErrno(err) {
			return errRefused
		}
		return err
	}
	r := reader{seq: c.seq, fn: fn}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, _, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		} else if err != nil {
			return err
		} else if n > len(c.buf) {
			return errors.New("sock_diag: message larger than the receive buffer")
		}
		if done, err := r.read(c.buf[:n]); done || err != nil {
			return err
		}
	}
}

// reader decodes the answers to one dump request.
type reader struct {
	seq     uint32
	fn      func(*diagEntry) bool
	stopped bool      // fn asked for no more
	e       diagEntry // one for the whole dump: fn's pointer makes it escape
}

// read decodes one datagram of netlink messages. It reports done at the
// end of the dump (NLMSG_DONE, or an NLMSG_ERROR for the request).
func (r *reader) read(b []byte) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		l := int(ne.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return true, errors.New("sock_diag: malformed netlink message")
		}
		typ, seq := ne.Uint16(b[4:]), ne.Uint32(b[8:])
		payload := b[nlmsgHdrLen:l]
		b = b[min(len(b), (l+3)&^3):]
		if seq != r.seq {
			continue // an answer to an earlier request
		}
		switch typ {
		case nlmDone:
			if len(payload) >= 4 && int32(ne.Uint32(payload)) < 0 {
				return true, diagErrno(payload)
			}
			return true, nil
		case nlmError:
			if len(payload) >= 4 && int32(ne.Uint32(payload)) != 0 {
				return true, diagErrno(payload)
			}
			return true, nil
		case unix.SOCK_DIAG_BY_FAMILY:
			var ok bool
			if r.e, ok = parseDiagMsg(payload); ok && !r.stopped && !r.fn(&r.e) {
				r.stopped = true
			}
		}
	}
	return false, nil
}

func diagErrno(payload []byte) error {
	err := unix.Errno(-int32(binary.NativeEndian.Uint32(payload)))
	if refusedErrno(err) {
		return errRefused
	}
	return err
}
