//go:build linux

package testnet

import (
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// relay joins two TUN devices: whatever the host routes into one comes out
// of the other delay later, in order. The devices are created here, in
// this namespace; one is then moved into the test namespace, and its
// descriptor keeps working there.
type relay struct {
	a, b  *os.File
	delay time.Duration
	wg    sync.WaitGroup
}

type packet struct {
	due  time.Time
	data []byte
}

func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:unix.IFNAMSIZ-1], name)
	*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TUN | unix.IFF_NO_PI
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, e)
	}
	// Non-blocking, so reads park in Go's poller and Close wakes them.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

func newRelay(hostIf, nsIf string, delay time.Duration) (*relay, error) {
	a, err := openTUN(hostIf)
	if err != nil {
		return nil, err
	}
	b, err := openTUN(nsIf)
	if err != nil {
		a.Close()
		return nil, err
	}
	return &relay{a: a, b: b, delay: delay}, nil
}

func (r *relay) start() {
	r.wg.Add(4)
	r.direction(r.a, r.b)
	r.direction(r.b, r.a)
}

// direction moves packets from src to dst: a reader stamps each packet
// with its due time and queues it; a writer sleeps until each is due. The
// queue is large so a burst of thousands of SYNs is delayed, never dropped.
func (r *relay) direction(src, dst *os.File) {
	q := make(chan packet, 1<<16)
	go func() {
		defer r.wg.Done()
		defer close(q)
		for {
			buf := make([]byte, 2048)
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			q <- packet{due: time.Now().Add(r.delay), data: buf[:n]}
		}
	}()
	go func() {
		defer r.wg.Done()
		for p := range q {
			if d := time.Until(p.due); d > 0 {
				time.Sleep(d)
			}
			dst.Write(p.data) // a write fails only once the device is gone
		}
	}()
}

// close destroys both devices (they are not persistent) and waits for the
// relay goroutines.
func (r *relay) close() {
	r.a.Close()
	r.b.Close()
	r.wg.Wait()
}
