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
//   - spreads the links of large fd tables over one worker per CPU while a
//     producer walks /proc in pid order.
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

// fdChunk is a slice of one process's descriptors for a worker to resolve.
type fdChunk struct {
	dir *fdDir
	fds []int32
}

// fdDir is an open /proc/PID/fd, closed by the last chunk that uses it.
type fdDir struct {
	fd   int
	pid  int32
	refs atomic.Int32
}

func (d *fdDir) release() {
	if d.refs.Add(-1) == 0 {
		unix.Close(d.fd)
	}
}

const chunkFDs = 512

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
	chunks := make(chan fdChunk, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(chunks)
		}()
	}
	err := s.produce(ctx, chunks)
	close(chunks)
	wg.Wait()
	return err
}

func (s *ownerScan) work(chunks <-chan fdChunk) {
	var name [16]byte
	var link [64]byte
	for c := range chunks {
		for _, fd := range c.fds {
			if s.done() {
				break
			}
			nb := append(strconv.AppendInt(name[:0], int64(fd), 10), 0)
			n, err := readlinkat(c.dir.fd, &nb[0], link[:])
			if err != nil {
				continue
			}
			if ino, ok := socketInode(link[:n]); ok {
				s.found(ino, c.dir.pid)
			}
		}
		c.dir.release()
	}
}

// produce walks /proc in directory order (ascending pids) and hands out
// each process's descriptors.
func (s *ownerScan) produce(ctx context.Context, chunks chan<- fdChunk) error {
	if s.onlyPID > 0 {
		s.sendDir(s.onlyPID, chunks)
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
			s.sendDir(pid, chunks)
		}
	}
	return nil
}

// sendDir opens /proc/PID/fd, reads its descriptor numbers and queues them
// in chunks.
func (s *ownerScan) sendDir(pid int, chunks chan<- fdChunk) {
	dfd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.EACCES || err == unix.EPERM {
			s.denied.Add(1)
		}
		return
	}
	fds := readFDs(dfd)
	if len(fds) == 0 {
		unix.Close(dfd)
		return
	}
	d := &fdDir{fd: dfd, pid: int32(pid)}
	d.refs.Store(int32((len(fds) + chunkFDs - 1) / chunkFDs))
	for len(fds) > 0 {
		k := min(len(fds), chunkFDs)
		chunks <- fdChunk{dir: d, fds: fds[:k:k]}
		fds = fds[k:]
	}
}

// readFDs lists the descriptor numbers in an open /proc/PID/fd.
func readFDs(dfd int) []int32 {
	var fds []int32
	var buf [8 << 10]byte
	for {
		n, err := unix.Getdents(dfd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return fds
		}
		for b := buf[:n]; len(b) > 0; {
			name, next := direntName(b)
			b = next
			if fd, ok := atoiBytes(name); ok {
				fds = append(fds, int32(fd))
			}
		}
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
