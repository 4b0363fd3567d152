package sockets

import (
	"strconv"
	"unsafe"

	"github.com/portolan-dev/portolan/internal/procfs"
	"golang.org/x/sys/unix"
)

// work resolves spans of descriptors.
func (s *ownerScan) work(tasks <-chan fdRange) {
	w := worker{s: s, buf: make([]byte, 8<<10)}
	for t := range tasks {
		if s.done() {
			if t.dir >= 0 {
				unix.Close(t.dir)
			}
			continue
		}
		if t.dir < 0 {
			var err error
			if t.dir, err = openFDDir(int(t.pid)); err != nil {
				continue
			}
		}
		if t.probe {
			for fd := t.lo; fd < t.hi && !s.done() && w.refused != t.pid; fd++ {
				w.resolve(t.dir, fd, t.pid)
			}
		} else {
			w.list(t)
		}
		unix.Close(t.dir)
	}
}

// worker holds one goroutine's buffers.
type worker struct {
	s    *ownerScan
	buf  []byte
	name [16]byte
	link [64]byte
	// refused is the last process whose links /proc refused: access is
	// decided per process, so its other descriptors are not tried.
	refused int32
}

// resolve reads the link of descriptor fd; numbers that are not open fail
// with ENOENT and are skipped.
func (w *worker) resolve(dir, fd int, pid int32) { w.inode(dir, fd, pid) }

// inode reads the link of descriptor fd and records the socket it names,
// which it returns.
func (w *worker) inode(dir, fd int, pid int32) (uint64, bool) {
	nb := append(strconv.AppendInt(w.name[:0], int64(fd), 10), 0)
	k, err := readlinkat(dir, &nb[0], w.link[:])
	w.s.links.Add(1)
	if err != nil {
		if err == unix.EACCES || err == unix.EPERM {
			// The directory opened but its links are refused (a process
			// in another user namespace, Yama ptrace_scope): an unmatched
			// socket may be this process's, so say hidden, not "no owner".
			w.s.denied.Add(1)
			w.refused = pid
		}
		return 0, false
	}
	ino, ok := socketInode(w.link[:k])
	if ok {
		w.s.found(ino, pid)
	}
	return ino, ok
}

// list reads the directory from descriptor t.lo on (the offset of
// /proc/PID/fd is the descriptor number plus 2) and resolves each entry.
func (w *worker) list(t fdRange) {
	if t.lo > 0 {
		if _, err := unix.Seek(t.dir, int64(t.lo)+2, 0); err != nil {
			return
		}
	}
	for !w.s.done() && w.refused != t.pid {
		n, err := unix.Getdents(t.dir, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for b := w.buf[:n]; len(b) > 0 && !w.s.done() && w.refused != t.pid; {
			nm, next := direntName(b)
			b = next
			fd, ok := atoiBytes(nm)
			if !ok {
				continue
			}
			if t.hi >= 0 && fd >= t.hi {
				return
			}
			w.resolve(t.dir, fd, t.pid)
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
	return procfs.ParseDec(l[len(pre) : len(l)-1])
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
