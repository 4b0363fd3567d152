package sockets

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ownerScan maps socket inodes to the processes that hold them by reading
// the links in /proc/PID/fd ("socket:[12345]"). That is what costs `ss -p`
// and lsof most of their time, so the scan
//   - stops as soon as every wanted inode has an owner (unless every holder
//     is wanted, as kill needs),
//   - reads links relative to an open /proc/PID/fd directory (one path
//     component to resolve, not four) without allocating,
//   - splits large fd tables into spans that one worker per CPU lists and
//     resolves in parallel, while a producer walks /proc in pid order.
type ownerScan struct {
	want      map[uint64]int32 // inode -> index into first
	first     []atomic.Int32   // lowest pid seen holding each wanted inode
	remaining atomic.Int64     // wanted inodes without an owner yet
	every     bool             // record every holder and scan every process

	mu      sync.Mutex
	holders []holding // every holder, when every is set

	onlyPID  int    // scan this process alone
	onlyName string // scan only processes whose comm matches

	denied atomic.Int32 // fd directories /proc refused to open
}

// holding is one process holding one socket.
type holding struct {
	inode uint64
	pid   int32
}

// fdRange is a span of one process's descriptor numbers for a worker to
// resolve: [lo, hi), hi < 0 meaning to the end. dir is an already open
// /proc/PID/fd for the span, or -1 to open one.
type fdRange struct {
	pid    int32
	dir    int
	lo, hi int
}

// rangeFDs is the span one task covers in a large fd table. Listing
// /proc/PID/fd costs about as much as reading the links (the kernel builds
// a dentry per descriptor), so a table of 10,000 sockets is split and
// every worker lists and resolves its own span.
const rangeFDs = 1024

func newOwnerScan(inodes []uint64, every bool) *ownerScan {
	s := &ownerScan{want: make(map[uint64]int32, len(inodes)), every: every}
	for _, ino := range inodes {
		if _, dup := s.want[ino]; ino != 0 && !dup {
			s.want[ino] = int32(len(s.want))
		}
	}
	s.first = make([]atomic.Int32, len(s.want))
	s.remaining.Store(int64(len(s.want)))
	return s
}

// owner returns the pid found for inode, or 0.
func (s *ownerScan) owner(inode uint64) int32 {
	if i, ok := s.want[inode]; ok {
		return s.first[i].Load()
	}
	return 0
}

func (s *ownerScan) done() bool { return !s.every && s.remaining.Load() <= 0 }

func (s *ownerScan) found(inode uint64, pid int32) {
	i, ok := s.want[inode]
	if !ok {
		return
	}
	if s.every {
		s.mu.Lock()
		s.holders = append(s.holders, holding{inode, pid})
		s.mu.Unlock()
	}
	slot := &s.first[i]
	if slot.CompareAndSwap(0, pid) {
		s.remaining.Add(-1)
		return
	}
	for cur := slot.Load(); pid < cur && !slot.CompareAndSwap(cur, pid); cur = slot.Load() {
	}
}

// run scans /proc until every wanted inode is found, /proc is exhausted or
// ctx ends.
func (s *ownerScan) run(ctx context.Context) error {
	if len(s.want) == 0 {
		return nil
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	tasks := make(chan fdRange, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(tasks)
		}()
	}
	err := s.produce(ctx, tasks)
	close(tasks)
	wg.Wait()
	return err
}

// produce walks /proc in directory order (ascending pids) and hands out
// each process's descriptors.
func (s *ownerScan) produce(ctx context.Context, tasks chan<- fdRange) error {
	if s.onlyPID > 0 {
		s.sendProcess(s.onlyPID, tasks)
		return nil
	}
	proc, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(proc)
	buf := make([]byte, 16<<10)
	for !s.done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Getdents(proc, buf)
		if err == unix.EINTR {
			continue
		} else if err != nil {
			return err
		} else if n == 0 {
			return nil
		}
		for b := buf[:n]; len(b) > 0 && !s.done(); {
			name, next := direntName(b)
			b = next
			pid, ok := atoiBytes(name)
			if !ok || pid <= 0 {
				continue
			}
			if s.onlyName != "" && !commMatches(pid, s.onlyName) {
				continue
			}
			s.sendProcess(pid, tasks)
		}
	}
	return nil
}

// sendProcess opens /proc/PID/fd and queues its descriptors, split into
// spans when the table is large. Linux 6.2+ reports the number of open
// descriptors as the directory's size; older kernels report 0 and get one
// span.
func (s *ownerScan) sendProcess(pid int, tasks chan<- fdRange) {
	dir, err := openFDDir(pid)
	if err != nil {
		if err == unix.EACCES || err == unix.EPERM {
			s.denied.Add(1)
		}
		return
	}
	var st unix.Stat_t
	n := 0
	if unix.Fstat(dir, &st) == nil {
		n = int(st.Size)
	}
	if n <= rangeFDs {
		tasks <- fdRange{pid: int32(pid), dir: dir, hi: -1}
		return
	}
	spans := (n + rangeFDs - 1) / rangeFDs
	for i := range spans {
		t := fdRange{pid: int32(pid), dir: -1, lo: i * rangeFDs, hi: (i + 1) * rangeFDs}
		if i == 0 {
			t.dir = dir
		}
		if i == spans-1 {
			t.hi = -1 // a sparse table's high descriptors land in the last span
		}
		tasks <- t
	}
}

func openFDDir(pid int) (int, error) {
	return unix.Open("/proc/"+strconv.Itoa(pid)+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// work resolves spans of descriptors: it lists the span's names (seeking
// to lo: the offset of /proc/PID/fd is the descriptor number plus 2) and
// reads each link.
func (s *ownerScan) work(tasks <-chan fdRange) {
	var name [16]byte
	var link [64]byte
	buf := make([]byte, 8<<10)
	for t := range tasks {
		if s.done() {
			if t.dir >= 0 {
				unix.Close(t.dir)
			}
			continue
		}
		dir := t.dir
		if dir < 0 {
			var err error
			if dir, err = openFDDir(int(t.pid)); err != nil {
				continue
			}
		}
		if t.lo > 0 {
			if _, err := unix.Seek(dir, int64(t.lo)+2, 0); err != nil {
				unix.Close(dir)
				continue
			}
		}
	span:
		for !s.done() {
			n, err := unix.Getdents(dir, buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				break
			}
			for b := buf[:n]; len(b) > 0 && !s.done(); {
				nm, next := direntName(b)
				b = next
				fd, ok := atoiBytes(nm)
				if !ok {
					continue
				}
				if t.hi >= 0 && fd >= t.hi {
					break span
				}
				nb := append(strconv.AppendInt(name[:0], int64(fd), 10), 0)
				k, err := readlinkat(dir, &nb[0], link[:])
				if err != nil {
					continue
				}
				if ino, ok := socketInode(link[:k]); ok {
					s.found(ino, t.pid)
				}
			}
		}
		unix.Close(dir)
	}
}

// direntName returns the name of the first linux_dirent64 in b and the
// rest of b.
func direntName(b []byte) (name, rest []byte) {
	if len(b) < 19 {
		return nil, nil
	}
	reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
	if reclen < 19 || reclen > len(b) {
		return nil, nil
	}
	name = b[19:reclen]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	return name, b[reclen:]
}

// atoiBytes parses a non-negative decimal that fits an int32.
func atoiBytes(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 1<<31-1
}

// socketInode parses the link text of a socket descriptor, "socket:[123]".
func socketInode(l []byte) (uint64, bool) {
	const pre = "socket:["
	if len(l) < len(pre)+2 || string(l[:len(pre)]) != pre || l[len(l)-1] != ']' {
		return 0, false
	}
	return parseDec(l[len(pre) : len(l)-1])
}

// readlinkat is readlinkat(2) on a NUL-terminated name, without the
// allocation of the string-taking wrapper: the scan calls it once per
// descriptor of every process.
func readlinkat(dirfd int, name *byte, buf []byte) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
