package lease

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive LockFileEx lock on f; Windows drops it when
// the handle closes or the process ends.
func lockFile(f *os.File) error {
	var ol windows.Overlapped
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ol)
}

// openNoFollow: Windows has no O_NOFOLLOW; its symlinks need privilege to create.
const openNoFollow = 0
