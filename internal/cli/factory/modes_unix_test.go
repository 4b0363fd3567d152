//go:build unix

package factory_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/factory"
)

// The default state directory is created 0700 and its database 0600 even
// under a umask that lets everyone read and write.
func TestStateIsCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("PORTOLAN_STORE", "")
	s, err := factory.OpenStore("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := filepath.Join(state, "portolan")
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "portolan.db"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != want {
			t.Errorf("%s has mode %#o, want %#o", p, m, want)
		}
	}
}
