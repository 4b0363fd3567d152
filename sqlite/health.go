package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/portolan-dev/portolan"
)

var _ portolan.HealthChecker = (*DB)(nil)

// healthFresh is how long a good write probe vouches for the store: a
// health check polled in a loop costs at most one fsync per interval.
const healthFresh = time.Second

// Health reports whether the store can take writes now: its path still
// names the file it opened (a deleted state directory is caught here), and
// a real write commits through the same writer as grants do. A ping would
// pass on a read-only or deleted file; this does not.
func (d *DB) Health(ctx context.Context) error {
	if err := d.checkFile(); err != nil {
		return err
	}
	if time.Since(time.Unix(0, d.healthy.Load())) < healthFresh {
		return nil
	}
	// Rewriting user_version with its own value dirties the header page,
	// so the commit goes through the WAL and an fsync like any grant, and
	// changes nothing. Unlike a grant, the probe's caller stops waiting
	// when ctx ends: a writer stuck behind another process's lock is an
	// answer too.
	o := &op{ctx: ctx, err: make(chan error, 1), fn: func(tx *sql.Tx) error {
		var v int64
		if err := tx.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		_, err := tx.Exec("PRAGMA user_version = " + strconv.FormatInt(v, 10))
		return err
	}}
	var err error
	select {
	case d.ops <- o:
		select {
		case err = <-o.err:
		case <-ctx.Done():
			err = ctx.Err()
		}
	case <-ctx.Done():
		err = ctx.Err()
	case <-d.quit:
		err = errClosed
	}
	if err != nil {
		return err
	}
	d.healthy.Store(time.Now().UnixNano())
	return nil
}
