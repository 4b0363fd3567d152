//go:build unix

package lease

import (
	"os"
	"syscall"
)

// openNoFollow makes an open fail on a symbolic link.
const openNoFollow = syscall.O_NOFOLLOW

// lockFile takes an exclusive flock on f, which the kernel drops when the
// holder exits, so a crashed process never leaves the lock taken.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}
