package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/portolan-dev/portolan"
)

// The state file is where every lease and assignment lives, so the store
// guards it two ways. A file that exists is opened only if it is a SQLite
// database (SQLite would otherwise treat a 0-byte file as a new, empty one
// and portolan would start with no state over a file that had some), and a
// new one appears at its path only whole. And while it is open, the path
// must still name the same file: a state directory deleted under a running
// server would otherwise take every write into an unlinked file, lost at
// exit.

// sqliteMagic opens every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// checkExisting refuses a file at path that is not a SQLite database, and
// reports whether it is in WAL mode (every file portolan made is). It
// reports fs.ErrNotExist when there is no file.
func checkExisting(path string) (wal bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, portolan.Errorf(portolan.EINVALID, "state file %s is not a regular file (%s): want a portolan SQLite database or a path that does not exist", path, fi.Mode().Type())
	}
	if fi.Size() == 0 {
		return false, portolan.Errorf(portolan.EINVALID, "state file %s is empty (0 bytes), not a portolan database: refusing to start with empty state over it; restore it from a backup, or remove it to start afresh", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	// The header: the magic string, then at offsets 18 and 19 the read and
	// write versions, 2 in WAL mode.
	head := make([]byte, 20)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head[:len(sqliteMagic)], sqliteMagic) {
		return false, portolan.Errorf(portolan.EINVALID, "state file %s is not a SQLite database: refusing to overwrite it; restore it from a backup, or remove it to start afresh", path)
	}
	return head[18] == 2 && head[19] == 2, nil
}

// checkTables refuses a database with tables but no portolan_migrations:
// another program's, not a new one (CREATE TABLE IF NOT EXISTS would not
// tell). It reports whether portolan's schema is there.
func checkTables(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, path string) (ours bool, err error) {
	var n, tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'portolan_migrations'), count(*)
		FROM sqlite_schema WHERE type = 'table' AND name <> 'sqlite_sequence'`).Scan(&n, &tables); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if n == 0 && tables > 0 {
		return false, portolan.Errorf(portolan.EINVALID, "state file %s is not a portolan database (it has %d tables and no portolan_migrations): refusing to add portolan's tables to it; name another file", path, tables)
	}
	return n > 0, nil
}

// checkRollbackFile runs checkTables on a file not in WAL mode through a
// read-only connection, before Open's connections switch it to WAL: a
// refused file is left byte for byte as it was.
func checkRollbackFile(ctx context.Context, path string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	d, err := newDB(path, q, 1)
	if err != nil {
		return err
	}
	defer d.db.Close()
	_, err = checkTables(ctx, d.db, path)
	return err
}

// create makes a new database at path: the schema is built in a temporary
// file in the same directory (created 0600, so the WAL and shared-memory
// files SQLite derives from it are 0600 too), synced, and hard-linked into
// place, which fails if another process created path first; then that
// process's file is used. A crash leaves at most a stray temporary file,
// never a partial database at path.
func create(ctx context.Context, path string, q url.Values) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + s)
		}
	}()
	d, err := newDB(tmp, q, 1)
	if err != nil {
		return err
	}
	if err = d.migrate(ctx); err != nil {
		d.db.Close()
		return err
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // another process won the race; its file is whole too
		}
		// No hard links here (some network and FUSE file systems): a rename
		// is as atomic, only not exclusive, so look once more first.
		if _, serr := os.Lstat(path); serr == nil {
			return nil
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("sqlite: create %s: %w", path, err)
		}
	}
	syncFile(dir) // the new name is durable; not all systems can sync a directory
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// checkFile reports whether the store's path still names the file it
// opened. Writes and Health call it; it costs one stat.
func (d *DB) checkFile() error {
	if d.ident == nil {
		return nil
	}
	fi, err := os.Stat(d.abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return portolan.Errorf(portolan.EINTERNAL, "state file %s was deleted while portolan had it open: refusing to write into a deleted file (%s)", d.path, recovery())
	case err != nil:
		return fmt.Errorf("sqlite: %w", err)
	case !os.SameFile(fi, d.ident):
		return portolan.Errorf(portolan.EINTERNAL, "state file %s was replaced by another file while portolan had it open: refusing to write into the old one (restart portolan)", d.path)
	}
	return nil
}

// identify records the file at d.path as the one the store writes. A
// file replaced while it was being opened is refused.
func (d *DB) identify(before os.FileInfo) error {
	fi, err := os.Stat(d.abs)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if !os.SameFile(before, fi) {
		return portolan.Errorf(portolan.EINTERNAL, "state file %s was replaced while it was being opened: try again", d.path)
	}
	// SameFile may fetch a file's identity lazily, by path (Windows); ask
	// now, while the path still names this file.
	os.SameFile(fi, fi)
	d.ident = fi
	return nil
}

// recovery says how to get a deleted state file back: on Linux the file and
// its WAL stay readable through this process's descriptors until it exits.
func recovery() string {
	if runtime.GOOS == "linux" {
		return fmt.Sprintf("the deleted database and its -wal stay readable under /proc/%d/fd until this process exits: copy them back, then restart portolan", os.Getpid())
	}
	return "restore the file from a backup and restart portolan"
}
