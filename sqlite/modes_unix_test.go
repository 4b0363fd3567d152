//go:build unix

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
)

// The database, its WAL and its shared-memory file hold every lease's
// owner and label: they are created 0600 whatever the umask, so other
// local users cannot read them (or, with a lax umask, write them).
func TestFilesAreCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.InsertLeases(context.Background(), []*portolan.Lease{{Port: 41000, Proto: portolan.TCP}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), m)
		}
	}
}
