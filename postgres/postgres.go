// Package postgres is the portolan.Store for a team: several `portolan
// serve` processes share one PostgreSQL database and stay consistent
// because every rule lives in the database (unique constraints,
// transactions, an advisory lock around migrations), never in a lock inside
// one process.
//
// The schema is embedded as numbered migrations (migrations/NNN_name.sql)
// applied in order on Open and recorded in portolan_migrations.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key that serialises migrations across
// servers starting at the same moment ("portolan" in ASCII, truncated).
const migrationLock int64 = 0x706f72746f6c61

// DB is a portolan.Store over a PostgreSQL connection pool.
type DB struct {
	pool    *pgxpool.Pool
	timeout time.Duration
}

var _ portolan.Store = (*DB)(nil)

// Open connects to the database named by dsn (postgres://... or key=value
// form) and applies the embedded migrations it lacks. Calls are bounded by
// DefaultTimeout.
func Open(dsn string) (*DB, error) {
	return OpenOptions(context.Background(), dsn, Options{})
}

// OpenContext is Open bounded by ctx.
func OpenContext(ctx context.Context, dsn string) (*DB, error) {
	return OpenOptions(ctx, dsn, Options{})
}

// OpenOptions is OpenContext with options. Opening is bounded by ctx and
// by 30 s.
func OpenOptions(ctx context.Context, dsn string, o Options) (*DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "store %q is not a valid PostgreSQL address: want postgres://USER@HOST:PORT/DB", redact(dsn))
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	applyTimeout(cfg, o.Timeout)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{pool: pool, timeout: o.Timeout}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// redact hides a password in a DSN before it reaches a message.
func redact(dsn string) string {
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		if k := strings.Index(dsn[i+3:j], ":"); k >= 0 {
			return dsn[:i+3+k] + ":***" + dsn[j:]
		}
	}
	return dsn
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations", "postgres")
}

// migrate applies the missing migrations in one transaction under an
// advisory lock, so servers starting together neither race nor half-apply.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("postgres: migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS portolan_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("postgres: migrations table: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(max(version), 0) FROM portolan_migrations").Scan(&have); err != nil {
			return err
		}
		if latest := ms[len(ms)-1].Version; have > latest {
			return portolan.Errorf(portolan.EUNSUPPORTED, "the database schema is at version %d, newer than this portolan (up to %d): upgrade portolan", have, latest)
		}
		for _, m := range ms {
			if m.Version <= have {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO portolan_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
}

// SchemaVersion returns the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var v int
	err := db.pool.QueryRow(ctx, "SELECT COALESCE(max(version), 0) FROM portolan_migrations").Scan(&v)
	return v, err
}

// Ping checks that the database answers (the server's /healthz).
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return db.pool.Ping(ctx)
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) (string, *pgconn.PgError) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe
	}
	return "", nil
}

// SQLSTATEs the store turns into domain errors.
const (
	uniqueViolation = "23505"
	checkViolation  = "23514"
)

// keyValue pulls "5000" out of a unique violation's detail, which reads
// `Key (port)=(5000) already exists.`
func keyValue(pe *pgconn.PgError) string {
	d := pe.Detail
	i := strings.Index(d, ")=(")
	if i < 0 {
		return ""
	}
	d = d[i+3:]
	if j := strings.Index(d, ")"); j >= 0 {
		return d[:j]
	}
	return ""
}

func protoText(p portolan.Proto) string { return p.String() }

func parseProto(s string) portolan.Proto {
	p, _ := portolan.ParseProto(s)
	return p
}
