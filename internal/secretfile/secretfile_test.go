//go:build unix

package secretfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/secretfile"
)

func TestReadGoodFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	os.WriteFile(p, []byte("admin secret-0123456789abcdef\n"), 0o600)
	b, err := secretfile.Read(p, "token file")
	if err != nil || string(b) != "admin secret-0123456789abcdef\n" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	// A symlink to a good file is fine: what counts is the file opened.
	l := filepath.Join(t.TempDir(), "link")
	os.Symlink(p, l)
	if _, err := secretfile.Read(l, "token file"); err != nil {
		t.Fatalf("symlink to a good file: %v", err)
	}
}

// Each hostile file is refused with one line naming it and the form
// wanted, and none hangs or grows without limit.
func TestReadRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifoLink := filepath.Join(dir, "fifo-link")
	os.Symlink(fifo, fifoLink)
	zeroLink := filepath.Join(dir, "zero-link")
	os.Symlink("/dev/zero", zeroLink)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte("secret-0123456789abcdef\n"), 0o644)
	os.Chmod(loose, 0o644) // whatever the umask
	groupW := filepath.Join(dir, "group-writable")
	os.WriteFile(groupW, []byte("secret-0123456789abcdef\n"), 0o600)
	os.Chmod(groupW, 0o620)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("x", secretfile.MaxSize+1)), 0o600)

	cases := []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file: want a text file with mode 0600"},
		{fifoLink, "is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "is a device, not a regular file"},
		{zeroLink, "is a device, not a regular file"},
		{dir, "is a directory, not a regular file"},
		{loose, "is open to group or others (mode 644): want mode 0600 (chmod 600 " + loose + ")"},
		{groupW, "is open to group or others (mode 620)"},
		{big, "is larger than 64 KiB"},
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(dir, "nobody")
		os.WriteFile(other, []byte("secret-0123456789abcdef\n"), 0o600)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ path, want string }{other, "belongs to uid 65534: want a file owned by uid 0 (this process) or root"})
	}
	for _, tc := range cases {
		done := make(chan error, 1)
		go func() { _, err := secretfile.Read(tc.path, "token file"); done <- err }()
		select {
		case err := <-done:
			msg := portolan.ErrorMessage(err)
			if portolan.ErrorCode(err) != portolan.EINVALID || !strings.HasPrefix(msg, "token file "+tc.path+" ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("Read(%s) = %v; want EINVALID containing %q", tc.path, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Read(%s) hangs", tc.path)
		}
	}
}

// A file that is not there is the caller's bad input (exit 2) named with
// its role, and still reads as fs.ErrNotExist to callers that create it.
func TestReadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none")
	_, err := secretfile.Read(p, "token file")
	if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), "token file "+p+" does not exist") {
		t.Errorf("Read of a missing file: %v (%s), want EINVALID naming the token file", err, portolan.ErrorCode(err))
	}
	if !secretfile.IsNotExist(err) {
		t.Errorf("Read of a missing file: %v is not fs.ErrNotExist", err)
	}
}
