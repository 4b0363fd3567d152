package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/portolan-dev/portolan"
)

var _ portolan.HealthChecker = (*DB)(nil)

// Health reports whether the database would take a write now: it answers,
// is not a standby in recovery, the session is not read-only
// (default_transaction_read_only), and the role may change the tables the
// store writes. A ping passes in each of those cases; grants do not.
func (db *DB) Health(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var recovery, writable bool
	var readOnly string
	err := db.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),
		has_table_privilege('leases', 'INSERT, DELETE') AND has_table_privilege('assignments', 'INSERT, DELETE')
			AND has_table_privilege('audit', 'INSERT')`).Scan(&recovery, &readOnly, &writable)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: health: %w", err)
	case recovery:
		return errors.New("postgres: the server is a standby in recovery and takes no writes")
	case readOnly == "on":
		return errors.New("postgres: sessions are read-only (default_transaction_read_only is on)")
	case !writable:
		return errors.New("postgres: this role may not insert into or delete from the leases, assignments and audit tables")
	}
	return nil
}
