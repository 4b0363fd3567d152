// Package secretfile reads the small files that hold secrets (bearer
// tokens, a database DSN with its password). Each check keeps a hostile
// local user from reading, planting or stalling such a file: the file must
// be a regular file (a FIFO would hang the reader and /dev/zero would grow
// without limit), owned by this process's user or root (anyone else could
// rewrite it), open to no group or other user, and small.
package secretfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/portolan-dev/portolan"
)

// MaxSize bounds a secret file: far more than a few tokens or a DSN need.
const MaxSize = 64 << 10

// Read returns the contents of the secret file path; what names the file in
// errors ("token file"). A file that fails a check is refused with an
// EINVALID error naming it and the form wanted.
func Read(path, what string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO with no writer returns at once instead of
	// waiting for one; the type check below then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missing{portolan.Errorf(portolan.EINVALID, "%s %s does not exist: want a file with mode 0600", what, path)}
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat() // the file opened, not the name: a swapped symlink changes nothing
	if err != nil {
		return nil, err
	}
	if err := Check(fi, path, what); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, portolan.Errorf(portolan.EINVALID, "%s %s is larger than %d KiB: want a small text file", what, path, MaxSize>>10)
	}
	return b, nil
}

// Check applies the type, size, mode and owner checks to fi, the result of
// a Stat of path.
func Check(fi fs.FileInfo, path, what string) error {
	if !fi.Mode().IsRegular() {
		return portolan.Errorf(portolan.EINVALID, "%s %s is %s, not a regular file: want a text file with mode 0600", what, path, kind(fi.Mode()))
	}
	if fi.Size() > MaxSize {
		return portolan.Errorf(portolan.EINVALID, "%s %s is larger than %d KiB: want a small text file", what, path, MaxSize>>10)
	}
	return checkOwner(fi, path, what)
}

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return fmt.Sprintf("of type %s", m.Type())
}

// missing is Read's error for a file that is not there: bad input (a path
// the user gave) that is still fs.ErrNotExist to a caller that creates it.
type missing struct{ err *portolan.Error }

func (m missing) Error() string   { return m.err.Message }
func (m missing) Unwrap() []error { return []error{m.err, fs.ErrNotExist} }

// IsNotExist reports whether err says the file does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
