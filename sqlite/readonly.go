package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"time"

	"github.com/portolan-dev/portolan"
)

// OpenReadOnly opens the existing database at path for reading: it creates
// no file, runs no migration and takes no write lock, so a lookup
// (`portolan 443`) can show the leases and assignments on a port without
// writing to the state or waiting for a writer. Writes through the returned
// DB fail. It fails with ENOTFOUND when there is no file at path, with
// EINVALID when the file is not a SQLite database (a 0-byte file is not an
// empty store), and with EUNSUPPORTED when the schema is not this
// portolan's (Open migrates it).
func OpenReadOnly(path string) (*DB, error) {
	if path == "" {
		return nil, portolan.Errorf(portolan.EINVALID, "empty SQLite path: want sqlite:PATH")
	}
	if _, err := checkExisting(path); errors.Is(err, fs.ErrNotExist) {
		return nil, portolan.Errorf(portolan.ENOTFOUND, "no SQLite store at %s", path)
	} else if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	d, err := newDB(path, q, 1)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*busyTimeout)
	defer cancel()
	if err := d.checkSchema(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	// The writer only hands writes to SQLite, which refuses them; it runs so
	// that a write fails rather than waits, and Close returns.
	go d.writer()
	return d, nil
}

// checkSchema reports EUNSUPPORTED unless the file is at this portolan's
// newest migration: reading an older schema could miss columns.
func (d *DB) checkSchema(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	latest := ms[len(ms)-1].Version
	ours, err := checkTables(ctx, d.db, d.path)
	if err != nil {
		return err
	}
	var have int
	if ours {
		if err := d.db.QueryRowContext(ctx, "SELECT COALESCE(max(version), 0) FROM portolan_migrations").Scan(&have); err != nil {
			return fmt.Errorf("sqlite: %s: %w", d.path, err)
		}
	}
	if have != latest {
		return portolan.Errorf(portolan.EUNSUPPORTED, "the database %s is at schema version %d; this portolan reads version %d", d.path, have, latest)
	}
	return nil
}
