package postgres

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Every store call is bounded. Without bounds a partition between a server
// and PostgreSQL hung writes for over a minute and a SIGTERM for five: TCP
// keeps a silent peer's connection open for as long as the kernel retries,
// and the driver waits on it without limit. Three bounds cover every call,
// those of the lease code included:
//
//   - connecting (TCP, TLS, start-up, authentication) takes at most Timeout;
//   - the server gives up on a statement, a lock wait or a transaction left
//     idle after Timeout (statement_timeout, lock_timeout,
//     idle_in_transaction_session_timeout), unless the DSN sets them, as
//     parameters or in options;
//   - on our side no read or write on a connection waits longer than
//     Timeout plus grace while the server says nothing, so a call fails
//     even when the network, not the server, is what stalled; the
//     connection is then dropped and the pool dials a new one.

// DefaultTimeout bounds each store call when Options leave it zero.
const DefaultTimeout = 5 * time.Second

// grace lets the server's own timeout error arrive before ours cuts the
// connection, so a slow statement reads as one.
const grace = time.Second

// Options tune a store.
type Options struct {
	// Timeout bounds every call to the store (see DefaultTimeout): a call
	// fails within about Timeout plus one second when the database or the
	// network to it stops answering.
	Timeout time.Duration
}

// bound returns ctx limited to the store's call bound. It ends a grace
// after the connection's own bound would, so on a silent network the
// connection's bound fires first and the connection is dropped at once.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, db.timeout+2*grace)
}

// applyTimeout sets cfg's bounds for timeout t.
func applyTimeout(cfg *pgxpool.Config, t time.Duration) {
	cc := cfg.ConnConfig
	if cc.ConnectTimeout <= 0 || cc.ConnectTimeout > t {
		cc.ConnectTimeout = t
	}
	dial := cc.DialFunc
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 5 * time.Minute}).DialContext
	}
	cc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &boundedConn{Conn: c, limit: t + grace}, nil
	}
	// Sent after connecting rather than as start-up parameters, which
	// poolers such as PgBouncer refuse.
	ms := strconv.FormatInt(t.Milliseconds(), 10)
	var set []string
	for _, k := range []string{"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"} {
		_, ok := cc.RuntimeParams[k]
		if !ok && !strings.Contains(cc.RuntimeParams["options"], k) {
			set = append(set, k)
		}
	}
	if len(set) == 0 {
		return
	}
	q := "SELECT "
	for i, k := range set {
		if i > 0 {
			q += ", "
		}
		q += "set_config('" + k + "', '" + ms + "', false)"
	}
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, q); err != nil {
			return err
		}
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
}

// boundedConn is a connection on which no single read or write waits
// longer than limit. Deadlines the driver sets itself (to cancel a call
// whose context ended) still apply when they are earlier.
type boundedConn struct {
	net.Conn
	limit time.Duration

	mu     sync.Mutex
	rd, wd time.Time // the driver's deadlines
	rop    time.Time // bound of the read in progress, zero when none
	wop    time.Time // bound of the write in progress
	silent error     // set once a bound ran out: every later call fails at once
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func (c *boundedConn) Read(p []byte) (int, error) {
	return c.bounded(&c.rop, &c.rd, c.Conn.SetReadDeadline, func() (int, error) { return c.Conn.Read(p) })
}

func (c *boundedConn) Write(p []byte) (int, error) {
	return c.bounded(&c.wop, &c.wd, c.Conn.SetWriteDeadline, func() (int, error) { return c.Conn.Write(p) })
}

// bounded runs one read or write (io) under the earlier of the driver's
// deadline (*driver) and our bound, which it keeps in *op while it runs.
func (c *boundedConn) bounded(op, driver *time.Time, set func(time.Time) error, io func() (int, error)) (int, error) {
	c.mu.Lock()
	if c.silent != nil {
		c.mu.Unlock()
		return 0, c.silent
	}
	*op = time.Now().Add(c.limit)
	set(earliest(*driver, *op))
	c.mu.Unlock()
	n, err := io()
	c.mu.Lock()
	c.expired(err, *driver)
	*op = time.Time{}
	c.mu.Unlock()
	return n, err
}

// expired marks the connection dead when err is our bound running out
// rather than the driver's deadline: the peer was silent for the whole
// bound, so the driver's goodbye (draining what the server still sends)
// would only wait out another bound.
func (c *boundedConn) expired(err error, driver time.Time) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && (driver.IsZero() || time.Now().Before(driver)) {
		c.silent = err
	}
}

func (c *boundedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd, c.wd = t, t
	c.Conn.SetReadDeadline(earliest(t, c.rop))
	return c.Conn.SetWriteDeadline(earliest(t, c.wop))
}

func (c *boundedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd = t
	return c.Conn.SetReadDeadline(earliest(t, c.rop))
}

func (c *boundedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wd = t
	return c.Conn.SetWriteDeadline(earliest(t, c.wop))
}
