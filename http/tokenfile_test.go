//go:build unix

package http_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
)

// Token files are checked before they are read: a FIFO must not hang the
// server, /dev/zero must not grow its memory, and a file another user owns
// or may read is refused, in LoadTokenFile and EnsureTokenFile alike.
func TestTokenFileChecks(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte("admin-token-0123456789\n"), 0o600)
	os.Chmod(loose, 0o644)
	nodir := filepath.Join(dir, "none", "token") // created if missing, but not its directory
	files := map[string]string{fifo: "named pipe", "/dev/zero": "a device", loose: "open to group or others", nodir: "does not exist"}
	if os.Geteuid() == 0 {
		other := filepath.Join(dir, "other")
		os.WriteFile(other, []byte("admin-token-0123456789\n"), 0o600)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		files[other] = "belongs to uid 65534"
	}
	for path, want := range files {
		for name, load := range map[string]func() error{
			"LoadTokenFile":   func() error { return porthttp.NewTokens().LoadTokenFile(path) },
			"EnsureTokenFile": func() error { _, err := porthttp.EnsureTokenFile(path); return err },
		} {
			done := make(chan error, 1)
			go func() { done <- load() }()
			select {
			case err := <-done:
				if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(portolan.ErrorMessage(err), want) {
					t.Errorf("%s(%s) = %v; want EINVALID saying %q", name, path, err, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s(%s) hangs", name, path)
			}
		}
	}
}
