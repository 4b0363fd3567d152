package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux a pass drives non-blocking sockets through one epoll instance.
// Launchers (one per CPU) create and connect sockets; a refusal on
// loopback is already known when connect() returns, so most closed ports
// never reach epoll at all. One poller collects the rest and expires
// probes in launch order from a FIFO, with the timeout evaluated when it
// is checked, so early probes benefit from RTT samples that came later.

type slot struct {
	i     int
	start time.Time
	gen   uint64
}

type fifoEntry struct {
	fd  int32
	gen uint64
}

type poller struct {
	ep    int
	mu    sync.Mutex
	table map[int32]slot
	fifo  []fifoEntry
	head  int
	gen   uint64
}

func (p *poller) register(fd, i int, start time.Time) error {
	p.mu.Lock()
	p.gen++
	p.table[int32(fd)] = slot{i: i, start: start, gen: p.gen}
	p.fifo = append(p.fifo, fifoEntry{int32(fd), p.gen})
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLERR | unix.EPOLLHUP, Fd: int32(fd)}
	if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.table, int32(fd))
		p.mu.Unlock()
		return err
	}
	return nil
}

func (p *poller) take(fd int32) (slot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sl, ok := p.table[fd]
	if ok {
		delete(p.table, fd)
	}
	return sl, ok
}

// expired pops the probes older than timeout, oldest first.
func (p *poller) expired(now time.Time, timeout time.Duration, out []slot, fds []int32) ([]slot, []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.head < len(p.fifo) {
		e := p.fifo[p.head]
		sl, ok := p.table[e.fd]
		if !ok || sl.gen != e.gen {
			p.head++
			continue
		}
		if now.Sub(sl.start) < timeout {
			break
		}
		delete(p.table, e.fd)
		p.head++
		out, fds = append(out, sl), append(fds, e.fd)
	}
	if p.head > 4096 && p.head*2 > len(p.fifo) {
		p.fifo = append(p.fifo[:0], p.fifo[p.head:]...)
		p.head = 0
	}
	return out, fds
}

// nextDeadline is when the oldest live probe expires, or zero.
func (p *poller) nextDeadline(timeout time.Duration) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.head < len(p.fifo) {
		e := p.fifo[p.head]
		if sl, ok := p.table[e.fd]; ok && sl.gen == e.gen {
			return sl.start.Add(timeout)
		}
		p.head++
	}
	return time.Time{}
}

func (p *poller) live() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.table)
}

func (s *scan) pass(ctx context.Context, idx []int, scale float64) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(ep)
	p := &poller{ep: ep, table: make(map[int32]slot)}
	var next atomic.Int64
	var wg sync.WaitGroup
	var launched atomic.Bool
	for range launchers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &launcher{spare: [2]int{-1, -1}}
			defer l.close()
			for {
				n := int(next.Add(1) - 1)
				if n >= len(idx) || !s.acquire(ctx) {
					return
				}
				if !s.pace.wait(ctx) {
					s.release(false, 0)
					return
				}
				s.launch(l, p, idx[n])
			}
		}()
	}
	// An eventfd in the epoll set wakes the poller the moment the last
	// launcher is done, so a pass whose answers all came inline (loopback)
	// ends at once instead of at the next poll tick.
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return err
	}
	defer unix.Close(efd)
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}); err != nil {
		return err
	}
	go func() {
		wg.Wait()
		launched.Store(true)
		unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}()

	evs := make([]unix.EpollEvent, 256)
	var exp []slot
	var expFDs []int32
	for {
		timeout := s.timeout(scale)
		wait := 10 * time.Millisecond
		if dl := p.nextDeadline(timeout); !dl.IsZero() {
			wait = min(wait, max(time.Until(dl), 0)+time.Millisecond)
		}
		n, err := unix.EpollWait(ep, evs, int(wait/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		for _, ev := range evs[:max(n, 0)] {
			if int(ev.Fd) == efd {
				continue
			}
			if sl, ok := p.take(ev.Fd); ok {
				s.complete(int(ev.Fd), sl)
			}
		}
		exp, expFDs = p.expired(time.Now(), s.timeout(scale), exp[:0], expFDs[:0])
		for k, sl := range exp {
			unix.Close(int(expFDs[k]))
			s.finish(sl.i, Filtered, "no-response", 0, "")
			s.release(false, 0)
		}
		if ctx.Err() != nil {
			s.wake()
			wg.Wait()
			p.mu.Lock()
			for fd := range p.table {
				unix.Close(int(fd))
			}
			p.mu.Unlock()
			return ctx.Err()
		}
		if launched.Load() && p.live() == 0 {
			return nil
		}
	}
}

// launcher keeps one idle socket per family: a connect refused inside
// connect() leaves the socket reusable after connect(AF_UNSPEC), which
// costs the kernel far less than close() and socket() (on loopback it
// halves the time of a full scan).
type launcher struct{ spare [2]int }

func (l *launcher) close() {
	for _, fd := range l.spare {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// disconnect dissolves a failed connect so the socket can connect again.
func disconnect(fd int) error {
	sa := unix.RawSockaddr{Family: unix.AF_UNSPEC}
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	if e != 0 {
		return e
	}
	return nil
}

// launch starts one probe. Refusals known at connect() finish here.
func (s *scan) launch(l *launcher, p *poller, i int) {
	s.attempts.Add(1)
	s.res[i].Attempts++
	addr := s.probes[i].Addr
	sa, family := sockaddr(addr)
	fam := 0
	if family == unix.AF_INET6 {
		fam = 1
	}
	for try := 0; ; try++ {
		fd := l.spare[fam]
		l.spare[fam] = -1
		if fd < 0 {
			var err error
			fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				if scarce(err) && try < 50 {
					s.shrink()
					time.Sleep(time.Millisecond)
					continue
				}
				s.finish(i, Error, "error", 0, err.Error())
				s.release(false, 0)
				return
			}
		}
		start := time.Now()
		err := unix.Connect(fd, sa)
		immediate := true
		if errors.Is(err, unix.EINPROGRESS) {
			// On loopback the answer is usually in already. Asking connect()
			// again reports it in one call: 0 when the handshake completed,
			// the error of a reset or an ICMP error (and then the kernel has
			// already dissolved the attempt, so the socket can be reused),
			// EALREADY while the SYN is still out.
			immediate = false
			switch err2 := unix.Connect(fd, sa); {
			case err2 == nil || errors.Is(err2, unix.EISCONN):
				err = nil
			case errors.Is(err2, unix.EALREADY):
			default:
				err = err2
			}
		}
		switch {
		case err == nil:
			s.opened(i, fd, time.Since(start))
			return
		case errors.Is(err, unix.EINPROGRESS):
			if err := p.register(fd, i, start); err != nil {
				unix.Close(fd)
				s.finish(i, Error, "error", 0, err.Error())
				s.release(false, 0)
			}
			return
		case errors.Is(err, unix.ECONNREFUSED):
			if !immediate || disconnect(fd) == nil {
				l.spare[fam] = fd
			} else {
				unix.Close(fd)
			}
			s.answer(i, err, time.Since(start), false)
			return
		case scarce(err) && try < 50:
			unix.Close(fd)
			s.shrink()
			time.Sleep(time.Millisecond)
			continue
		default:
			unix.Close(fd)
			s.answer(i, err, time.Since(start), immediate)
			return
		}
	}
}

// complete handles an epoll event for a registered probe.
func (s *scan) complete(fd int, sl slot) {
	rtt := time.Since(sl.start)
	e, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && e == 0 {
		s.opened(sl.i, fd, rtt)
		return
	}
	unix.Close(fd)
	if err == nil {
		err = unix.Errno(e)
	}
	s.answer(sl.i, err, rtt, false)
}

// answer classifies a failed connect. immediate marks errors connect()
// itself returned (no packet left or came back): those are errors, not
// states of the remote port, except a refusal.
func (s *scan) answer(i int, err error, rtt time.Duration, immediate bool) {
	switch {
	case errors.Is(err, unix.ECONNREFUSED):
		s.finish(i, Closed, "conn-refused", rtt, "")
		s.release(true, rtt)
		return
	case errors.Is(err, unix.ETIMEDOUT):
		s.finish(i, Filtered, "no-response", 0, "")
	case immediate:
		s.finish(i, Error, "error", 0, err.Error())
	case errors.Is(err, unix.EHOSTUNREACH):
		s.finish(i, Filtered, "host-unreach", rtt, "")
	case errors.Is(err, unix.ENETUNREACH):
		s.finish(i, Filtered, "net-unreach", rtt, "")
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		s.finish(i, Filtered, "admin-prohibited", rtt, "")
	case errors.Is(err, unix.ECONNRESET):
		s.finish(i, Closed, "reset", rtt, "")
	default:
		s.finish(i, Error, "error", 0, err.Error())
	}
	s.release(false, 0)
}

// opened records an open port and closes the socket with a reset (no
// TIME_WAIT left behind), or hands it to the banner reader.
//
// A connect to a loopback port in the ephemeral range can be given that
// very port as its source and connect to itself (TCP simultaneous open):
// nothing listens there, so a socket whose peer is itself is closed.
func (s *scan) opened(i, fd int, rtt time.Duration) {
	if selfConnected(fd) {
		unix.Close(fd)
		s.finish(i, Closed, "self-connect", rtt, "")
		s.release(true, rtt)
		return
	}
	s.finish(i, Open, "syn-ack", rtt, "")
	s.release(true, rtt)
	if s.o.Banner {
		s.readBannerFD(i, fd)
		return
	}
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	unix.Close(fd)
}

// scarce reports the errors that mean "too many at once", not "this port".
func scarce(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOBUFS) ||
		errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.EAGAIN)
}

func sockaddr(ap netip.AddrPort) (unix.Sockaddr, int) {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}, unix.AF_INET
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		sa.ZoneId = zoneID(z)
	}
	return sa, unix.AF_INET6
}

// readBannerFD wraps a connected socket in a net.Conn for the banner reader.
func (s *scan) readBannerFD(i, fd int) {
	f := os.NewFile(uintptr(fd), "probe")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	s.readBanner(i, c)
}

func selfConnected(fd int) bool {
	local, err1 := unix.Getsockname(fd)
	peer, err2 := unix.Getpeername(fd)
	if err1 != nil || err2 != nil {
		return false
	}
	switch l := local.(type) {
	case *unix.SockaddrInet4:
		p, ok := peer.(*unix.SockaddrInet4)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	case *unix.SockaddrInet6:
		p, ok := peer.(*unix.SockaddrInet6)
		return ok && l.Port == p.Port && l.Addr == p.Addr
	}
	return false
}
