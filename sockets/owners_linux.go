package sockets

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/portolan-dev/portolan"
	"golang.org/x/sys/unix"
)

// ownerScan maps socket inodes to the processes that hold them by reading
// the links in /proc/PID/fd ("socket:[12345]"). That is what costs `ss -p`
// and lsof most of their time, so the scan
//   - stops as soon as every wanted inode has an owner (unless every holder
//     is wanted, as kill needs),
//   - reads links relative to an open /proc/PID/fd directory (one path
//     component to resolve, not four) without allocating,
//   - probes descriptor numbers instead of listing the directory where
//     the table is dense, in spans that one worker per CPU resolves in
//     parallel while a producer walks the processes.
//
// The scan can also start before the wanted inodes are known (ls of every
// socket reads the socket table and /proc at the same time): until want is
// called it remembers every socket inode it meets.
type ownerScan struct {
	mu        sync.Mutex
	ready     bool             // want has been called
	seen      map[uint64]int32 // before ready: every socket inode met -> lowest pid
	index     map[uint64]int32 // wanted inode -> index into first
	first     []int32          // lowest pid seen holding each wanted inode
	remaining int              // wanted inodes without an owner yet
	every     bool             // record every holder and scan every process
	holders   []holding        // every holder, when every is set
	stop      atomic.Bool      // every wanted inode has an owner

	uids     []uint32 // the wanted sockets' uids: their processes are scanned first
	onlyPID  int      // scan this process alone
	onlyName string   // scan only processes whose comm matches

	denied atomic.Int32 // fd directories /proc refused to open
	links  atomic.Int64 // descriptor links read, for tests
}

// holding is one process holding one socket.
type holding struct {
	inode uint64
	pid   int32
}

// fdRange is a span of one process's descriptor numbers for a worker to
// resolve: [lo, hi), hi < 0 meaning to the end. dir is an already open
// /proc/PID/fd for the span, or -1 to open one. A probe span reads the link
// of every number in it; a listed span reads the directory first.
type fdRange struct {
	pid    int32
	dir    int
	lo, hi int
	probe  bool
}

// spanFDs is the size of one probe span. Listing /proc/PID/fd costs about
// half as much again as reading the links (the kernel builds a dentry per
// descriptor), and descriptor tables are dense at the bottom, so the
// numbers below the count of open descriptors (the directory's size on
// Linux 6.2+) are probed directly, in spans that the workers resolve in
// parallel; only the numbers above the count are listed.
const spanFDs = 256

// newOwnerScan returns a scan for the owners of socks.
func newOwnerScan(socks []portolan.Socket, every bool) *ownerScan {
	s := &ownerScan{every: every}
	s.want(socks)
	return s
}

// newEarlyScan returns a scan that starts before the wanted sockets are
// known; call want once they are.
func newEarlyScan() *ownerScan {
	return &ownerScan{seen: make(map[uint64]int32, 1024)}
}

// want sets the wanted sockets. Inodes the scan has already met get their
// owner at once; if that was all of them, the scan stops.
func (s *ownerScan) want(socks []portolan.Socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index = make(map[uint64]int32, len(socks))
	for _, sk := range socks {
		if _, dup := s.index[sk.Inode]; sk.Inode == 0 || dup {
			continue
		}
		s.index[sk.Inode] = int32(len(s.first))
		pid := s.seen[sk.Inode]
		s.first = append(s.first, pid)
		if pid == 0 {
			s.remaining++
		}
		if !slices.Contains(s.uids, sk.UID) {
			s.uids = append(s.uids, sk.UID)
		}
	}
	s.seen, s.ready = nil, true
	if s.remaining == 0 && !s.every {
		s.stop.Store(true)
	}
}

// owner returns the pid found for inode, or 0; call it after the scan.
func (s *ownerScan) owner(inode uint64) int32 {
	if i, ok := s.index[inode]; ok {
		return s.first[i]
	}
	return 0
}

func (s *ownerScan) done() bool { return s.stop.Load() }

// found records that pid holds socket inode. It runs once per socket
// descriptor, thousands of times per scan, and a lock costs nothing next
// to the readlink that found it.
func (s *ownerScan) found(inode uint64, pid int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		if cur, ok := s.seen[inode]; !ok || pid < cur {
			s.seen[inode] = pid
		}
		return
	}
	i, ok := s.index[inode]
	if !ok {
		return
	}
	if s.every {
		s.holders = append(s.holders, holding{inode, pid})
	}
	switch cur := s.first[i]; {
	case cur == 0:
		s.first[i] = pid
		s.remaining--
		if s.remaining == 0 && !s.every {
			s.stop.Store(true)
		}
	case pid < cur:
		s.first[i] = pid
	}
}

// run scans /proc until every wanted inode is found, /proc is exhausted or
// ctx ends.
func (s *ownerScan) run(ctx context.Context) error {
	if s.done() {
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

// produce walks the processes, newest first (a port's holder is more
// often a recent server than an old daemon), those running as a wanted
// socket's uid before the rest, and hands out their descriptors. A large
// table that a bisection can search (a few wanted sockets) is only
// bisected on the first pass and read in full on a second one, so an old
// holder is found in a few links each of the large tables before it, not
// after reading every one of their descriptors. Where the bisection missed
// (sockets out of inode order), the second pass reads first the tables
// whose sockets came nearest the wanted inode: sockets are numbered as
// they are made, and a process's sockets were mostly made together.
func (s *ownerScan) produce(ctx context.Context, tasks chan<- fdRange) error {
	if s.onlyPID > 0 {
		s.sendProcess(s.onlyPID, tasks, bisectThenRead)
		return nil
	}
	pids, err := s.pids()
	if err != nil {
		return err
	}
	var large []deferred
	for _, pid := range pids {
		if s.done() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.onlyName != "" && !commMatches(pid, s.onlyName) {
			continue
		}
		if later, near := s.sendProcess(pid, tasks, bisectFirst); later {
			large = append(large, deferred{pid, near})
		}
	}
	slices.SortStableFunc(large, func(a, b deferred) int { return cmp.Compare(a.near, b.near) })
	for _, d := range large {
		if s.done() {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.sendProcess(d.pid, tasks, readOnly)
	}
	return nil
}

// pids lists /proc's processes in scan order.
func (s *ownerScan) pids() ([]int, error) {
	proc, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(proc)
	var pids []int
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Getdents(proc, buf)
		if err == unix.EINTR {
			continue
		} else if err != nil {
			return nil, err
		} else if n == 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			name, next := direntName(b)
			b = next
			if pid, ok := atoiBytes(name); ok && pid > 0 {
				pids = append(pids, pid)
			}
		}
	}
	slices.Sort(pids)
	slices.Reverse(pids)
	s.mu.Lock()
	uids := s.uids // an early scan does not know them yet
	s.mu.Unlock()
	if len(uids) == 0 {
		return pids, nil
	}
	var st unix.Stat_t
	mine := make([]int, 0, len(pids))
	rest := make([]int, 0, len(pids))
	for _, pid := range pids {
		if unix.Fstatat(proc, strconv.Itoa(pid), &st, 0) == nil && slices.Contains(uids, st.Uid) {
			mine = append(mine, pid)
		} else {
			rest = append(rest, pid)
		}
	}
	return append(mine, rest...), nil
}

// sendProcess opens /proc/PID/fd and queues its descriptors: probe spans
// below the count of open descriptors, then one listed span for the rest.
// Kernels before 6.2 report a size of 0 and get one listed span. It
// reports whether it left a large table for a second pass (bisectFirst),
// and how near its bisection came to a wanted inode.
func (s *ownerScan) sendProcess(pid int, tasks chan<- fdRange, mode sendMode) (later bool, near uint64) {
	dir, err := openFDDir(pid)
	if err != nil {
		if err == unix.EACCES || err == unix.EPERM {
			s.denied.Add(1)
		}
		return false, 0
	}
	var st unix.Stat_t
	n := 0
	if unix.Fstat(dir, &st) == nil {
		n = int(st.Size)
	}
	if n > spanFDs && mode != readOnly {
		if done, tried, near := s.guide(dir, n, int32(pid)); done || tried && mode == bisectFirst {
			unix.Close(dir)
			return !done, near
		}
	}
	for lo := 0; lo < n; lo += spanFDs {
		t := fdRange{pid: int32(pid), dir: -1, lo: lo, hi: min(lo+spanFDs, n), probe: true}
		if lo == 0 {
			t.dir, dir = dir, -1
		}
		tasks <- t
	}
	tasks <- fdRange{pid: int32(pid), dir: dir, lo: n, hi: -1}
	return false, 0
}

// deferred is a large table left for the second pass.
type deferred struct {
	pid  int
	near uint64 // how near its bisection came to a wanted inode
}

// sendMode is what sendProcess does with a large descriptor table.
type sendMode int

const (
	bisectThenRead sendMode = iota // bisect, then read whatever it missed
	bisectFirst                    // bisect; leave the rest for a second pass
	readOnly                       // read it all: its bisection already ran
)

// guide looks for a few wanted inodes in a large descriptor table by
// bisection before the spans read it all. Socket inode numbers grow as
// sockets are created and a process takes the lowest free descriptor, so a
// server that opened its sockets one after another holds them in inode
// order: twenty links instead of thousands. The kernel hands inode numbers
// out in per-CPU batches of 1,024, so sockets opened while the opener moved
// between CPUs interleave two ranges. Where the order does not hold the
// bisection simply misses, and the spans that follow find the socket.
// It reports whether every wanted inode now has an owner, whether there
// was anything to look for, and the smallest distance between a wanted
// inode and one it read.
func (s *ownerScan) guide(dir, n int, pid int32) (done, tried bool, near uint64) {
	s.mu.Lock()
	var targets []uint64
	if s.ready && !s.every && len(s.index) <= 4 {
		for ino, i := range s.index {
			if s.first[i] == 0 {
				targets = append(targets, ino)
			}
		}
	}
	s.mu.Unlock()
	w := worker{s: s}
	near = math.MaxUint64
	for _, x := range targets {
		lo, hi := 0, n+16 // a dense table holds 0..n-1; allow a few gaps
		for range 32 {
			if lo > hi || s.done() || w.refused == pid {
				break
			}
			mid := (lo + hi) / 2
			at, y := -1, uint64(0)
			for fd := mid; fd <= min(mid+8, hi); fd++ { // step over pipes and files
				if ino, ok := w.inode(dir, fd, pid); ok {
					at, y = fd, ino
					break
				}
			}
			if at >= 0 {
				near = min(near, max(x, y)-min(x, y))
			}
			switch {
			case at < 0:
				hi = mid - 1
			case y == x:
				lo = hi + 1 // found (and recorded by w.inode)
			case y < x:
				lo = at + 1
			default:
				hi = mid - 1
			}
		}
	}
	return s.done(), len(targets) > 0, near
}

func openFDDir(pid int) (int, error) {
	return unix.Open("/proc/"+strconv.Itoa(pid)+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}
