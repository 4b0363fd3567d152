// Package sqlite is portolan's default Store: leases, assignments and the
// audit log in one SQLite file under the user's state directory, through
// the pure-Go driver modernc.org/sqlite (no cgo, so the binary stays static).
//
// The file runs in WAL mode with synchronous=FULL, so a write is on disk
// before it returns. Writes of one process go through a single writer
// goroutine that commits whatever has queued up in one transaction (group
// commit): a burst of concurrent grants shares one fsync instead of paying
// one each, and each caller still hears back only after its commit. Several
// processes may open the same file; SQLite's locks and the busy timeout
// serialise them, and the unique constraints decide every race.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/migrations"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// busyTimeout is how long a write waits for another process's lock before
// failing; CLI processes and a daemon sharing a file wait their turn.
const busyTimeout = 10 * time.Second

// maxBatch bounds one group commit, so one transaction stays short.
const maxBatch = 512

// DB is a portolan.Store over one SQLite file. It is safe for concurrent
// use.
type DB struct {
	db    *sql.DB
	path  string
	abs   string      // path made absolute, for checkFile
	ident os.FileInfo // the file at abs when opened; nil for read-only

	healthy atomic.Int64 // Unix nanoseconds of the last good write probe

	ops       chan *op
	commits   atomic.Uint64
	stmtMu    sync.Mutex
	stmts     map[string]*sql.Stmt
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

var _ portolan.Store = (*DB)(nil)

// op is one write waiting for the group commit.
type op struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err chan error
}

// Open opens the database at path and applies the embedded migrations it
// lacks. Only a path with no file is created new (whole, see create); an
// existing file that is not a portolan database, a 0-byte one included, is
// refused with EINVALID naming it.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, portolan.Errorf(portolan.EINVALID, "empty SQLite path: want sqlite:PATH")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	// SQLite never creates the file: a connection opened after the file
	// was deleted fails instead of starting an empty one.
	q.Set("mode", "rw")
	ctx, cancel := context.WithTimeout(context.Background(), 2*busyTimeout)
	defer cancel()
	wal, err := checkExisting(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = create(ctx, path, q)
	case err == nil && !wal:
		err = checkRollbackFile(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	before, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	d, err := newDB(path, q, maxBatch)
	if err != nil {
		return nil, err
	}
	if err := firstConn(ctx, d.db, path); err != nil {
		d.db.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	if err := d.identify(before); err != nil {
		d.db.Close()
		return nil, err
	}
	go d.writer()
	return d, nil
}

// firstConn opens the first connection, retrying while SQLite says busy.
// Processes that create the same new file at once race to switch it to WAL,
// and the losers' `PRAGMA journal_mode` fails at once with SQLITE_BUSY
// instead of waiting out the busy timeout (8 parallel `portolan free` on a
// fresh state directory lost ~1 in 20). Once the file is in WAL mode the
// pragma takes no lock, so later connections never meet this.
func firstConn(ctx context.Context, sdb *sql.DB, path string) error {
	deadline := time.Now().Add(busyTimeout)
	wait := time.Millisecond
	for {
		c, err := sdb.Conn(ctx)
		if err == nil {
			return c.Close()
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("sqlite: %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sqlite: %s: %w", path, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// isBusy reports SQLITE_BUSY in any of its extended forms.
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// newDB opens the connection pool of the database at path with the DSN
// query q, and a write queue of queue ops. Nothing touches the file yet.
func newDB(path string, q url.Values, queue int) (*DB, error) {
	// Absolute, so that connections the pool opens after a chdir, and
	// checkFile, still find the file.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", "file:"+escapePath(abs)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(0)
	return &DB{db: sdb, path: path, abs: abs, stmts: map[string]*sql.Stmt{}, ops: make(chan *op, queue), quit: make(chan struct{}), done: make(chan struct{})}, nil
}

// escapePath keeps '?' and '#' in a file name from being read as the DSN's
// query or fragment.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Path returns the file the store lives in.
func (d *DB) Path() string { return d.path }

// Close waits for queued writes to commit, then closes the database.
func (d *DB) Close() error {
	d.closeOnce.Do(func() { close(d.quit) })
	<-d.done
	return d.db.Close()
}

// Commits returns how many write transactions this DB has committed: with
// group commit, far fewer than the writes under concurrent load.
func (d *DB) Commits() uint64 { return d.commits.Load() }

// Ping checks that the database answers (the server's /healthz).
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations", "sqlite")
}

// migrate applies the missing migrations in one immediate transaction, so
// processes opening a fresh file together neither race nor half-apply.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", d.path, err)
	}
	defer tx.Rollback()
	if _, err := checkTables(ctx, tx, d.path); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS portolan_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: %s: migrations table: %w", d.path, err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(max(version), 0) FROM portolan_migrations").Scan(&have); err != nil {
		return err
	}
	if latest := ms[len(ms)-1].Version; have > latest {
		return portolan.Errorf(portolan.EUNSUPPORTED, "the database %s is at schema version %d, newer than this portolan (up to %d): upgrade portolan", d.path, have, latest)
	}
	for _, m := range ms {
		if m.Version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO portolan_migrations (version, name, applied) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UnixNano()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SchemaVersion returns the newest migration applied.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.db.QueryRowContext(ctx, "SELECT COALESCE(max(version), 0) FROM portolan_migrations").Scan(&v)
	return v, err
}

// write runs fn inside the next group commit and returns once that
// transaction is on disk. fn runs under its own savepoint: its error undoes
// only its own changes, never its neighbours'. Once fn has been taken into
// a batch, write waits for the commit even if ctx ends, so a caller never
// reports failure for a change that was in fact committed.
func (d *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	o := &op{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case d.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.quit:
		return errClosed
	}
	return <-o.err
}

var errClosed = errors.New("sqlite: store is closed")

// writer is the one goroutine that writes: it takes every queued op, runs
// them in one transaction and commits once.
func (d *DB) writer() {
	defer close(d.done)
	batch := make([]*op, 0, maxBatch)
	for {
		select {
		case o := <-d.ops:
			batch = append(batch[:0], o)
		case <-d.quit:
			// Drain what was queued before Close, then stop.
			for {
				select {
				case o := <-d.ops:
					d.commit([]*op{o})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < maxBatch {
			select {
			case o := <-d.ops:
				batch = append(batch, o)
			default:
				break more
			}
		}
		d.commit(batch)
	}
}

// commit runs one batch in one transaction.
func (d *DB) commit(batch []*op) {
	errs := make([]error, len(batch))
	if err := d.checkFile(); err != nil {
		for _, o := range batch {
			o.err <- err
		}
		return
	}
	ctx := context.Background()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		for _, o := range batch {
			o.err <- fmt.Errorf("sqlite: begin: %w", err)
		}
		return
	}
	ran := false
	for i, o := range batch {
		if err := o.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := d.exec(tx, "SAVEPOINT op"); err != nil {
			errs[i] = err
			continue
		}
		if err := o.fn(tx); err != nil {
			errs[i] = err
			if _, rerr := d.exec(tx, "ROLLBACK TO op"); rerr != nil {
				// The transaction is unusable: fail the whole batch.
				tx.Rollback()
				for _, o := range batch {
					o.err <- fmt.Errorf("sqlite: rollback to savepoint: %w", rerr)
				}
				return
			}
		}
		d.exec(tx, "RELEASE op")
		ran = true
	}
	if !ran {
		tx.Rollback()
	} else if err := tx.Commit(); err == nil {
		d.commits.Add(1)
	} else {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("sqlite: commit: %w", err)
			}
		}
	}
	for i, o := range batch {
		o.err <- errs[i]
	}
}

// stmt returns q prepared once for the whole DB, bound to tx: the writer
// runs the same few statements thousands of times a second, and parsing
// them each time cost more than running them.
func (d *DB) stmt(tx *sql.Tx, q string) (*sql.Stmt, error) {
	d.stmtMu.Lock()
	s, ok := d.stmts[q]
	d.stmtMu.Unlock()
	if !ok {
		var err error
		if s, err = d.db.Prepare(q); err != nil {
			return nil, err
		}
		d.stmtMu.Lock()
		if prev, ok := d.stmts[q]; ok {
			s.Close()
			s = prev
		} else {
			d.stmts[q] = s
		}
		d.stmtMu.Unlock()
	}
	return tx.Stmt(s), nil
}

// exec runs a cached statement in tx.
func (d *DB) exec(tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	s, err := d.stmt(tx, q)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

// queryRow runs a cached single-row query in tx.
func (d *DB) queryRow(tx *sql.Tx, q string, args ...any) *sql.Row {
	s, err := d.stmt(tx, q)
	if err != nil {
		// Let Scan report it: QueryRow on a closed statement does.
		return tx.QueryRow(q, args...)
	}
	return s.QueryRow(args...)
}

// isUnique reports whether err is a UNIQUE constraint violation.
func isUnique(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// isCheck reports whether err is a CHECK constraint violation.
func isCheck(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_CHECK
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func protoText(p portolan.Proto) string { return p.String() }

func parseProto(s string) portolan.Proto {
	p, _ := portolan.ParseProto(s)
	return p
}
