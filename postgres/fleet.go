package postgres

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/portolan-dev/portolan"
)

var _ portolan.FleetStore = (*DB)(nil)

// UpdateHost runs fn on host id's record in one transaction that first
// takes a transaction-scoped advisory lock on the id: two servers on this
// database handling reports of the same host take turns, and the second
// sees what the first wrote (a row lock could not cover a host's first
// report, when there is no row yet). The writes go in one batch, one round
// trip.
func (db *DB) UpdateHost(ctx context.Context, id string, fn func(portolan.HostRecord, bool) (portolan.HostChange, error)) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7780))", id); err != nil {
			return err
		}
		rec, known, err := hostRecord(ctx, tx, id)
		if err != nil {
			return err
		}
		ch, err := fn(rec, known)
		if err != nil {
			return err
		}
		return tx.SendBatch(ctx, changeBatch(ch)).Close()
	})
}

func hostRecord(ctx context.Context, tx pgx.Tx, id string) (portolan.HostRecord, bool, error) {
	rec := portolan.HostRecord{Listeners: map[portolan.ListenerKey]portolan.FleetListener{}, Drift: map[portolan.DriftKey]portolan.DriftItem{}}
	var iv, seq int64
	err := tx.QueryRow(ctx, "SELECT id, name, reporter, first_seen, last_seen, interval_ns, seq FROM fleet_hosts WHERE id = $1", id).
		Scan(&rec.Host.ID, &rec.Host.Name, &rec.Host.Reporter, &rec.Host.FirstSeen, &rec.Host.LastSeen, &iv, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	rec.Host.FirstSeen, rec.Host.LastSeen = rec.Host.FirstSeen.UTC(), rec.Host.LastSeen.UTC()
	rec.Host.Interval, rec.Host.Seq = time.Duration(iv), uint64(seq)
	ls, err := scanListeners(tx.Query(ctx, `SELECT `+listenerCols+` FROM fleet_listeners WHERE host_id = $1`, id))
	if err != nil {
		return rec, true, err
	}
	for _, l := range ls {
		rec.Listeners[l.ListenerKey] = l
	}
	drift, err := scanDrift(tx.Query(ctx, `SELECT `+driftCols+` FROM fleet_drift WHERE host_id = $1`, id))
	if err != nil {
		return rec, true, err
	}
	for _, di := range drift {
		rec.Drift[di.DriftKey] = di
	}
	return rec, true, nil
}

func changeBatch(ch portolan.HostChange) *pgx.Batch {
	h := ch.Host
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO fleet_hosts (id, name, reporter, first_seen, last_seen, interval_ns, seq) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, reporter = excluded.reporter, last_seen = excluded.last_seen, interval_ns = excluded.interval_ns, seq = excluded.seq`,
		h.ID, h.Name, h.Reporter, h.FirstSeen, h.LastSeen, int64(h.Interval), int64(h.Seq))
	if n := len(ch.PutListeners); n > 0 {
		// One statement for every listener of a report: a host's first
		// report carries hundreds.
		protos, addrs, programs, procs, users, reaches, phases := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ports := make([]int32, n)
		first, last := make([]time.Time, n), make([]time.Time, n)
		for i, l := range ch.PutListeners {
			protos[i], addrs[i], ports[i] = protoText(l.Proto), l.Addr.String(), int32(l.Port)
			programs[i], procs[i], users[i], reaches[i], phases[i] = l.Program, l.Process, l.User, string(l.Reach), string(l.Phase)
			first[i], last[i] = l.FirstSeen, l.LastSeen
		}
		b.Queue(`INSERT INTO fleet_listeners (host_id, proto, addr, port, program, process, usr, reach, phase, first_seen, last_seen)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])
			ON CONFLICT (host_id, proto, addr, port) DO UPDATE SET program = excluded.program, process = excluded.process,
				usr = excluded.usr, reach = excluded.reach, phase = excluded.phase, last_seen = excluded.last_seen`,
			h.ID, protos, addrs, ports, programs, procs, users, reaches, phases, first, last)
	}
	for _, k := range ch.DropListeners {
		b.Queue("DELETE FROM fleet_listeners WHERE host_id = $1 AND proto = $2 AND addr = $3 AND port = $4",
			h.ID, protoText(k.Proto), k.Addr.String(), int32(k.Port))
	}
	if n := len(ch.PutDrift); n > 0 {
		kinds, protos, programs, assigns, details, phases := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ports := make([]int32, n)
		since := make([]time.Time, n)
		for i, di := range ch.PutDrift {
			kinds[i], protos[i], ports[i] = string(di.Kind), protoText(di.Proto), int32(di.Port)
			programs[i], assigns[i], details[i], since[i], phases[i] = di.Program, di.Assignment, di.Detail, di.Since, string(di.Phase)
		}
		b.Queue(`INSERT INTO fleet_drift (host_id, kind, proto, port, program, assignment, detail, since, phase)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[])
			ON CONFLICT (host_id, kind, proto, port) DO UPDATE SET program = excluded.program, assignment = excluded.assignment,
				detail = excluded.detail, since = excluded.since, phase = excluded.phase`,
			h.ID, kinds, protos, ports, programs, assigns, details, since, phases)
	}
	for _, k := range ch.DropDrift {
		b.Queue("DELETE FROM fleet_drift WHERE host_id = $1 AND kind = $2 AND proto = $3 AND port = $4",
			h.ID, string(k.Kind), protoText(k.Proto), int32(k.Port))
	}
	if n := len(ch.Events); n > 0 {
		times := make([]time.Time, n)
		hosts, names, kinds, protos, addrs, programs, drifts, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ports := make([]int32, n)
		for i, e := range ch.Events {
			times[i], hosts[i], names[i], kinds[i], protos[i], ports[i] = e.Time, e.HostID, e.HostName, string(e.Kind), protoText(e.Proto), int32(e.Port)
			if e.Addr.IsValid() {
				addrs[i] = e.Addr.String()
			}
			programs[i], drifts[i], details[i] = e.Program, string(e.Drift), e.Detail
		}
		// unnest keeps the order: the events' ids follow the report's order.
		b.Queue(`INSERT INTO fleet_events (time, host_id, host_name, kind, proto, addr, port, program, drift, detail)
			SELECT t, h, n, k, p, a, po, pr, d, de FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS e(t, h, n, k, p, a, po, pr, d, de, o) ORDER BY o`,
			times, hosts, names, kinds, protos, addrs, ports, programs, drifts, details)
	}
	return b
}

// FleetHosts returns every host with its confirmed listener and active
// drift counts, by name.
func (db *DB) FleetHosts(ctx context.Context) ([]portolan.FleetHost, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT h.id, h.name, h.reporter, h.first_seen, h.last_seen, h.interval_ns, h.seq, h.history_since,
		(SELECT count(*) FROM fleet_listeners l WHERE l.host_id = h.id AND l.phase <> 'new'),
		(SELECT count(*) FROM fleet_drift f WHERE f.host_id = h.id AND f.phase <> 'new')
		FROM fleet_hosts h ORDER BY h.name, h.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.FleetHost
	for rows.Next() {
		var h portolan.FleetHost
		var iv, seq, nl, nd int64
		var since *time.Time
		if err := rows.Scan(&h.ID, &h.Name, &h.Reporter, &h.FirstSeen, &h.LastSeen, &iv, &seq, &since, &nl, &nd); err != nil {
			return nil, err
		}
		if since != nil {
			h.HistorySince = since.UTC()
		}
		h.FirstSeen, h.LastSeen, h.Interval, h.Seq = h.FirstSeen.UTC(), h.LastSeen.UTC(), time.Duration(iv), uint64(seq)
		h.Listeners, h.Drift = int(nl), int(nd)
		out = append(out, h)
	}
	return out, rows.Err()
}

// HostListeners returns host id's confirmed listeners by port.
func (db *DB) HostListeners(ctx context.Context, id string) ([]portolan.FleetListener, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return scanListeners(db.pool.Query(ctx, `SELECT `+listenerCols+` FROM fleet_listeners
		WHERE host_id = $1 AND phase <> 'new' ORDER BY port, proto, addr`, id))
}

// ListenersOn returns the confirmed listeners on port across the fleet
// (an index on port: a few rows out of hundreds of thousands).
func (db *DB) ListenersOn(ctx context.Context, port portolan.Port, proto portolan.Proto) ([]portolan.FleetListener, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	q := `SELECT ` + namedCols + ` FROM fleet_listeners l JOIN fleet_hosts h ON h.id = l.host_id WHERE l.port = $1 AND l.phase <> 'new'`
	args := []any{int32(port)}
	if proto != portolan.ProtoAny {
		q += " AND l.proto = $2"
		args = append(args, protoText(proto))
	}
	return scanNamedListeners(db.pool.Query(ctx, q+" ORDER BY h.name, l.host_id, l.proto, l.addr", args...))
}

// FleetDrift returns the active drift of host hostID, or of every host.
func (db *DB) FleetDrift(ctx context.Context, hostID string) ([]portolan.DriftItem, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	q, args := `SELECT `+driftCols+` FROM fleet_drift WHERE phase <> 'new'`, []any{}
	if hostID != "" {
		q += " AND host_id = $1"
		args = append(args, hostID)
	}
	return scanDrift(db.pool.Query(ctx, q+" ORDER BY host_id, port, kind", args...))
}

// FleetEvents returns up to limit events after id since, oldest first.
func (db *DB) FleetEvents(ctx context.Context, hostID string, since int64, limit int) ([]portolan.FleetEvent, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.pool.Query(ctx, `SELECT id, time, host_id, host_name, kind, proto, addr, port, program, drift, detail
		FROM fleet_events WHERE id > $1 AND ($2 = '' OR host_id = $2) ORDER BY id LIMIT $3`, since, hostID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.FleetEvent
	for rows.Next() {
		var e portolan.FleetEvent
		var proto, addr, kind, drift string
		var port int32
		if err := rows.Scan(&e.ID, &e.Time, &e.HostID, &e.HostName, &kind, &proto, &addr, &port, &e.Program, &drift, &e.Detail); err != nil {
			return nil, err
		}
		e.Time, e.Kind, e.Proto, e.Port, e.Drift = e.Time.UTC(), portolan.FleetEventKind(kind), parseProto(proto), portolan.Port(port), portolan.DriftKind(drift)
		e.Addr, _ = netip.ParseAddr(addr)
		out = append(out, e)
	}
	return out, rows.Err()
}

const listenerCols = "host_id, proto, addr, port, program, process, usr, reach, phase, first_seen, last_seen"

// namedCols are listenerCols with the host's name after them, for the
// answers across hosts (ListenersOn).
const namedCols = "l.host_id, l.proto, l.addr, l.port, l.program, l.process, l.usr, l.reach, l.phase, l.first_seen, l.last_seen, h.name"

func scanNamedListeners(rows pgx.Rows, err error) ([]portolan.FleetListener, error) {
	return scanListenerRows(rows, err, true)
}

func scanListeners(rows pgx.Rows, err error) ([]portolan.FleetListener, error) {
	return scanListenerRows(rows, err, false)
}

func scanListenerRows(rows pgx.Rows, err error, named bool) ([]portolan.FleetListener, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.FleetListener
	for rows.Next() {
		var l portolan.FleetListener
		var proto, addr, reach, phase string
		var port int32
		dest := []any{&l.HostID, &proto, &addr, &port, &l.Program, &l.Process, &l.User, &reach, &phase, &l.FirstSeen, &l.LastSeen}
		if named {
			dest = append(dest, &l.HostName)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		l.Proto, l.Port, l.Reach, l.Phase = parseProto(proto), portolan.Port(port), portolan.Reach(reach), portolan.Phase(phase)
		l.Addr, _ = netip.ParseAddr(addr)
		l.FirstSeen, l.LastSeen = l.FirstSeen.UTC(), l.LastSeen.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

const driftCols = "host_id, kind, proto, port, program, assignment, detail, since, phase"

func scanDrift(rows pgx.Rows, err error) ([]portolan.DriftItem, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.DriftItem
	for rows.Next() {
		var di portolan.DriftItem
		var kind, proto, phase string
		var port int32
		if err := rows.Scan(&di.HostID, &kind, &proto, &port, &di.Program, &di.Assignment, &di.Detail, &di.Since, &phase); err != nil {
			return nil, err
		}
		di.Kind, di.Proto, di.Port, di.Since, di.Phase = portolan.DriftKind(kind), parseProto(proto), portolan.Port(port), di.Since.UTC(), portolan.Phase(phase)
		out = append(out, di)
	}
	return out, rows.Err()
}

// BindAgent ties token to hostID at its first report, unless the host
// reports with another token. Two statements, not
// one: when another server's first report of the token is still being
// written, the INSERT waits for it and does nothing, and only a statement
// started after that sees the row it wrote.
func (db *DB) BindAgent(ctx context.Context, token, hostID string) (string, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	if _, err := db.pool.Exec(ctx, `INSERT INTO fleet_agents (token, host_id)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM fleet_hosts WHERE id = $2 AND reporter <> '' AND reporter <> $1)
		ON CONFLICT (token) DO NOTHING`, token, hostID); err != nil {
		return "", err
	}
	var bound string
	err := db.pool.QueryRow(ctx, "SELECT host_id FROM fleet_agents WHERE token = $1", token).Scan(&bound)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil // the host is another token's
	}
	return bound, err
}

// CompactFleetEvents folds the events before before (see the interface):
// the events before it but the last listener event of each listener go,
// then that one too when it is a listener-down, in one transaction.
func (db *DB) CompactFleetEvents(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM fleet_events WHERE time < $1 AND (kind <> 'listener-up' OR id NOT IN (
			SELECT max(id) FROM fleet_events WHERE time < $1 AND kind IN ('listener-up', 'listener-down')
			GROUP BY host_id, proto, addr, port))`, before)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, "UPDATE fleet_hosts SET history_since = $1 WHERE history_since IS NULL OR history_since < $1", before)
		return err
	})
	return n, err
}
