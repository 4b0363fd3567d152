package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/portolan-dev/portolan"
)

// The allocator records its kernel reservations here (--reserve-kernel).
var _ portolan.ReservationStore = (*DB)(nil)

// InsertLeases stores ls with one INSERT, so the grant is all or none and
// the unique constraint on host and port refuses a port another server
// leased on the same host.
func (db *DB) InsertLeases(ctx context.Context, ls []*portolan.Lease) error {
	if len(ls) == 0 {
		return nil
	}
	n := len(ls)
	ports, pids := make([]int32, n), make([]int32, n)
	starts := make([]int64, n)
	protos, labels, hosts, bys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	hostIDs := make([]string, n)
	expires := make([]pgtype.Timestamptz, n)
	for i, l := range ls {
		ports[i], pids[i], starts[i] = int32(l.Port), int32(l.PID), int64(l.PIDStart)
		protos[i], labels[i], hosts[i], bys[i] = protoText(l.Proto), l.Label, l.Host, l.CreatedBy
		hostIDs[i] = l.HostID
		expires[i] = pgtype.Timestamptz{Time: l.Expires, Valid: !l.Expires.IsZero()}
	}
	rows, err := db.pool.Query(ctx, `INSERT INTO leases (port, proto, pid, pid_start, label, expires, host, created_by, host_id)
		SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[])
		RETURNING port, id, created`, ports, protos, pids, starts, labels, expires, hosts, bys, hostIDs)
	if err != nil {
		return leaseErr(err)
	}
	defer rows.Close()
	byPort := make(map[portolan.Port]*portolan.Lease, n)
	for _, l := range ls {
		byPort[l.Port] = l
	}
	for rows.Next() {
		var port int32
		var id int64
		var created time.Time
		if err := rows.Scan(&port, &id, &created); err != nil {
			return err
		}
		if l := byPort[portolan.Port(port)]; l != nil {
			l.ID, l.Created = id, created.UTC()
		}
	}
	return leaseErr(rows.Err())
}

func leaseErr(err error) error {
	switch code, pe := pgCode(err); code {
	case "":
		return err
	case uniqueViolation:
		// The key is (host_id, port): the port is what follows the last comma.
		if v := keyValue(pe); v != "" {
			if i := strings.LastIndex(v, ", "); i >= 0 {
				v = v[i+2:]
			}
			return portolan.Errorf(portolan.ECONFLICT, "port %s is already leased", v)
		}
		return portolan.Errorf(portolan.ECONFLICT, "a requested port is already leased")
	case checkViolation:
		return portolan.Errorf(portolan.EINVALID, "lease refused by the store: %s", pe.Message)
	}
	return err
}

// Leases returns every lease of every host, ordered by port.
func (db *DB) Leases(ctx context.Context) ([]portolan.Lease, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, port, proto, pid, pid_start, label, created, expires, host, created_by, host_id
		FROM leases ORDER BY port, host_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Lease
	for rows.Next() {
		var l portolan.Lease
		var port, pid int32
		var start int64
		var proto string
		var exp *time.Time
		if err := rows.Scan(&l.ID, &port, &proto, &pid, &start, &l.Label, &l.Created, &exp, &l.Host, &l.CreatedBy, &l.HostID); err != nil {
			return nil, err
		}
		l.Port, l.Proto, l.PID, l.PIDStart = portolan.Port(port), parseProto(proto), int(pid), uint64(start)
		l.Created = l.Created.UTC()
		if exp != nil {
			l.Expires = exp.UTC()
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteLease removes the lease on port of hostID; ENOTFOUND when there is none.
func (db *DB) DeleteLease(ctx context.Context, hostID string, port portolan.Port) error {
	tag, err := db.pool.Exec(ctx, "DELETE FROM leases WHERE host_id = $1 AND port = $2", hostID, int32(port))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
	}
	return nil
}

// DeleteLeases removes the leases with the given IDs and returns how many
// it removed; IDs another server already removed are simply not counted.
func (db *DB) DeleteLeases(ctx context.Context, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := db.pool.Exec(ctx, "DELETE FROM leases WHERE id = ANY($1)", ids)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// Reservations returns the kernel reservations recorded for hostID.
func (db *DB) Reservations(ctx context.Context, hostID string) ([]portolan.Port, error) {
	rows, err := db.pool.Query(ctx, "SELECT port FROM kernel_reservations WHERE host_id = $1 ORDER BY port", hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Port
	for rows.Next() {
		var p int32
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, portolan.Port(p))
	}
	return out, rows.Err()
}

// AddReservations records ports for hostID.
func (db *DB) AddReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	if len(ports) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO kernel_reservations (host_id, port)
		SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING`, hostID, portInts(ports))
	return err
}

// DeleteReservations forgets ports for hostID.
func (db *DB) DeleteReservations(ctx context.Context, hostID string, ports []portolan.Port) error {
	if len(ports) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, "DELETE FROM kernel_reservations WHERE host_id = $1 AND port = ANY($2::int[])", hostID, portInts(ports))
	return err
}

func portInts(ps []portolan.Port) []int32 {
	out := make([]int32, len(ps))
	for i, p := range ps {
		out[i] = int32(p)
	}
	return out
}
