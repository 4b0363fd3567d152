package lease

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/portolan-dev/portolan"
)

// FileLock is the lock file daemon-less CLI processes take around a grant
// (flock, so a crashed holder never leaves it locked). Its content is the
// last port handed out, so the next process continues after it instead of
// starting over: consecutive `portolan free` calls never hand the same
// port twice in a row.
type FileLock struct {
	path string
	f    *os.File
	last portolan.Port
	set  bool
}

// NewFileLock returns the lock at path; its directory is created (0700).
func NewFileLock(path string) *FileLock { return &FileLock{path: path} }

// Lock waits for the lock.
func (l *FileLock) Lock() error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return err
	}
	// O_NOFOLLOW: in a directory someone else could write, a planted
	// symlink must not make us truncate its target.
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE|openNoFollow, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return portolan.Errorf(portolan.EFORBIDDEN, "lock file %s is a symbolic link: refusing to follow it", l.path)
	}
	if err != nil {
		return err
	}
	if err = lockFile(f); err != nil {
		f.Close()
		return err
	}
	l.f, l.set = f, false
	buf := make([]byte, 16)
	n, _ := f.ReadAt(buf, 0)
	if p, err := portolan.ParsePort(strings.TrimSpace(string(buf[:n]))); err == nil && p != 0 {
		l.last, l.set = p, true
	}
	return nil
}

// Last returns the last port handed out by any process, if known.
func (l *FileLock) Last() (portolan.Port, bool) { return l.last, l.set }

// SetLast records the last port handed out; Unlock writes it.
func (l *FileLock) SetLast(p portolan.Port) { l.last, l.set = p, true }

// Unlock writes the cursor and releases the lock (closing the file drops it).
func (l *FileLock) Unlock() error {
	if l.f == nil {
		return nil
	}
	if l.set {
		s := strconv.Itoa(int(l.last)) + "\n"
		l.f.Truncate(0)
		l.f.WriteAt([]byte(s), 0)
	}
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}
