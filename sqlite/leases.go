package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// The allocator records its kernel reservations here (--reserve-kernel).
var _ portolan.ReservationStore = (*DB)(nil)

// InsertLeases stores ls in one savepoint of the next group commit: all or
// none, on disk before it returns. The unique constraint on host and port
// refuses a port another client leased on that host, with ECONFLICT naming it.
func (d *DB) InsertLeases(ctx context.Context, ls []*portolan.Lease) error {
	if len(ls) == 0 {
		return nil
	}
	now := time.Now().UTC()
	ids := make([]int64, len(ls))
	err := d.write(ctx, func(tx *sql.Tx) error {
		for i, l := range ls {
			var exp any
			if !l.Expires.IsZero() {
				exp = nanos(l.Expires)
			}
			err := d.queryRow(tx, `INSERT INTO leases (port, proto, pid, pid_start, label, created, expires, host, created_by, host_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				int(l.Port), protoText(l.Proto), l.PID, int64(l.PIDStart), l.Label, nanos(now), exp, l.Host, l.CreatedBy, l.HostID).Scan(&ids[i])
			switch {
			case isUnique(err):
				return portolan.Errorf(portolan.ECONFLICT, "port %d is already leased", l.Port)
			case isCheck(err):
				return portolan.Errorf(portolan.EINVALID, "lease of port %d refused by the store: %s", l.Port, err)
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, l := range ls {
		l.ID, l.Created = ids[i], now
	}
	return nil
}

// Leases returns every lease of every host, ordered by port.
func (d *DB) Leases(ctx context.Context) ([]portolan.Lease, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, port, proto, pid, pid_start, label, created, expires, host, created_by, host_id
		FROM leases ORDER BY port, host_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Lease
	for rows.Next() {
		var l portolan.Lease
		var port, pid int
		var start, created int64
		var exp sql.NullInt64
		var proto string
		if err := rows.Scan(&l.ID, &port, &proto, &pid, &start, &l.Label, &created, &exp, &l.Host, &l.CreatedBy, &l.HostID); err != nil {
			return nil, err
		}
		l.Port, l.Proto, l.PID, l.PIDStart = portolan.Port(port), parseProto(proto), pid, uint64(start)
		l.Created = fromNanos(created)
		if exp.Valid {
			l.Expires = fromNanos(exp.Int64)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteLease removes the lease on port of hostID; ENOTFOUND when there is none.
func (d *DB) DeleteLease(ctx context.Context, hostID string, port portolan.Port) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		res, err := d.exec(tx, "DELETE FROM leases WHERE host_id = ? AND port = ?", hostID, int(port))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
		}
		return nil
	})
}

// DeleteLeases removes the leases with the given IDs and returns how many
// it removed; IDs already gone are simply not counted.
func (d *DB) DeleteLeases(ctx context.Context, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var total int
	err := d.write(ctx, func(tx *sql.Tx) error {
		total = 0
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := "DELETE FROM leases WHERE id IN (?" + strings.Repeat(",?", len(chunk)-1) + ")"
			res, err := d.exec(tx, q, args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	return total, err
}

// Reservations returns the kernel reservations recorded for hostID.
func (d *DB) Reservations(ctx context.Context, hostID string) ([]portolan.Port, error) {
	rows, err := d.db.QueryContext(ctx, "SELECT port FROM kernel_reservations WHERE host_id = ? ORDER BY port", hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Port
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, portolan.Port(p))
	}
	return out, rows.Err()
}

// AddReservations records ports for hostID.
func (d *DB) AddReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	return d.reservations(ctx, "INSERT OR IGNORE INTO kernel_reservations (host_id, port) VALUES (?, ?)", hostID, ports)
}

// DeleteReservations forgets ports for hostID.
func (d *DB) DeleteReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	return d.reservations(ctx, "DELETE FROM kernel_reservations WHERE host_id = ? AND port = ?", hostID, ports)
}

func (d *DB) reservations(ctx context.Context, q, hostID string, ports []portolan.Port) error {
	if len(ports) == 0 {
		return nil
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		for _, p := range ports {
			if _, err := d.exec(tx, q, hostID, int(p)); err != nil {
				return err
			}
		}
		return nil
	})
}
