//go:build unix

package secretfile

import (
	"io/fs"
	"os"
	"syscall"

	"github.com/portolan-dev/portolan"
)

// checkOwner refuses a file that group or others may read or write, and
// one owned by a user other than this process's or root.
func checkOwner(fi fs.FileInfo, path, what string) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return portolan.Errorf(portolan.EINVALID, "%s %s is open to group or others (mode %o): want mode 0600 (chmod 600 %s)", what, path, perm, path)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := uint32(os.Geteuid()); st.Uid != me && st.Uid != 0 {
		return portolan.Errorf(portolan.EINVALID, "%s %s belongs to uid %d: want a file owned by uid %d (this process) or root", what, path, st.Uid, me)
	}
	return nil
}
