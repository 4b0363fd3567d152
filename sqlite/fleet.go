package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"time"

	"github.com/portolan-dev/portolan"
)

var _ portolan.FleetStore = (*DB)(nil)

// UpdateHost runs fn on host id's record inside the writer's transaction:
// SQLite's one writer serialises reports of the host across processes.
func (d *DB) UpdateHost(ctx context.Context, id string, fn func(portolan.HostRecord, bool) (portolan.HostChange, error)) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		rec, known, err := d.hostRecord(tx, id)
		if err != nil {
			return err
		}
		ch, err := fn(rec, known)
		if err != nil {
			return err
		}
		return d.writeChange(tx, ch)
	})
}

func (d *DB) hostRecord(tx *sql.Tx, id string) (portolan.HostRecord, bool, error) {
	rec := portolan.HostRecord{Listeners: map[portolan.ListenerKey]portolan.FleetListener{}, Drift: map[portolan.DriftKey]portolan.DriftItem{}}
	var first, last, iv int64
	var seq int64
	err := d.queryRow(tx, "SELECT id, name, reporter, first_seen, last_seen, interval_ns, seq FROM fleet_hosts WHERE id = ?", id).
		Scan(&rec.Host.ID, &rec.Host.Name, &rec.Host.Reporter, &first, &last, &iv, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	rec.Host.FirstSeen, rec.Host.LastSeen, rec.Host.Interval, rec.Host.Seq = fromNanos(first), fromNanos(last), time.Duration(iv), uint64(seq)
	ls, err := scanListeners(tx.Query(`SELECT `+listenerCols+` FROM fleet_listeners WHERE host_id = ?`, id))
	if err != nil {
		return rec, true, err
	}
	for _, l := range ls {
		rec.Listeners[l.ListenerKey] = l
	}
	drift, err := scanDrift(tx.Query(`SELECT `+driftCols+` FROM fleet_drift WHERE host_id = ?`, id))
	if err != nil {
		return rec, true, err
	}
	for _, di := range drift {
		rec.Drift[di.DriftKey] = di
	}
	return rec, true, nil
}

func (d *DB) writeChange(tx *sql.Tx, ch portolan.HostChange) error {
	h := ch.Host
	if _, err := d.exec(tx, `INSERT INTO fleet_hosts (id, name, reporter, first_seen, last_seen, interval_ns, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, reporter = excluded.reporter, last_seen = excluded.last_seen, interval_ns = excluded.interval_ns, seq = excluded.seq`,
		h.ID, h.Name, h.Reporter, nanos(h.FirstSeen), nanos(h.LastSeen), int64(h.Interval), int64(h.Seq)); err != nil {
		return err
	}
	for _, l := range ch.PutListeners {
		if _, err := d.exec(tx, `INSERT INTO fleet_listeners (host_id, proto, addr, port, program, process, usr, reach, phase, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (host_id, proto, addr, port) DO UPDATE SET program = excluded.program, process = excluded.process,
				usr = excluded.usr, reach = excluded.reach, phase = excluded.phase, last_seen = excluded.last_seen`,
			h.ID, protoText(l.Proto), l.Addr.String(), int(l.Port), l.Program, l.Process, l.User, string(l.Reach), string(l.Phase),
			nanos(l.FirstSeen), nanos(l.LastSeen)); err != nil {
			return err
		}
	}
	for _, k := range ch.DropListeners {
		if _, err := d.exec(tx, "DELETE FROM fleet_listeners WHERE host_id = ? AND proto = ? AND addr = ? AND port = ?",
			h.ID, protoText(k.Proto), k.Addr.String(), int(k.Port)); err != nil {
			return err
		}
	}
	for _, di := range ch.PutDrift {
		if _, err := d.exec(tx, `INSERT INTO fleet_drift (host_id, kind, proto, port, program, assignment, detail, since, phase)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (host_id, kind, proto, port) DO UPDATE SET program = excluded.program, assignment = excluded.assignment,
				detail = excluded.detail, since = excluded.since, phase = excluded.phase`,
			h.ID, string(di.Kind), protoText(di.Proto), int(di.Port), di.Program, di.Assignment, di.Detail, nanos(di.Since), string(di.Phase)); err != nil {
			return err
		}
	}
	for _, k := range ch.DropDrift {
		if _, err := d.exec(tx, "DELETE FROM fleet_drift WHERE host_id = ? AND kind = ? AND proto = ? AND port = ?",
			h.ID, string(k.Kind), protoText(k.Proto), int(k.Port)); err != nil {
			return err
		}
	}
	for _, e := range ch.Events {
		addr := ""
		if e.Addr.IsValid() {
			addr = e.Addr.String()
		}
		if _, err := d.exec(tx, `INSERT INTO fleet_events (time, host_id, host_name, kind, proto, addr, port, program, drift, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			nanos(e.Time), e.HostID, e.HostName, string(e.Kind), protoText(e.Proto), addr, int(e.Port), e.Program, string(e.Drift), e.Detail); err != nil {
			return err
		}
	}
	return nil
}

// FleetHosts returns every host with its confirmed listener and active
// drift counts, by name. State is left for the caller, who knows the time.
func (d *DB) FleetHosts(ctx context.Context) ([]portolan.FleetHost, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT h.id, h.name, h.reporter, h.first_seen, h.last_seen, h.interval_ns, h.seq, h.history_since,
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
		var first, last, iv, seq, since int64
		if err := rows.Scan(&h.ID, &h.Name, &h.Reporter, &first, &last, &iv, &seq, &since, &h.Listeners, &h.Drift); err != nil {
			return nil, err
		}
		h.FirstSeen, h.LastSeen, h.Interval, h.Seq = fromNanos(first), fromNanos(last), time.Duration(iv), uint64(seq)
		if since != 0 {
			h.HistorySince = fromNanos(since)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HostListeners returns host id's confirmed listeners by port.
func (d *DB) HostListeners(ctx context.Context, id string) ([]portolan.FleetListener, error) {
	return scanListeners(d.db.QueryContext(ctx, `SELECT `+listenerCols+` FROM fleet_listeners
		WHERE host_id = ? AND phase <> 'new' ORDER BY port, proto, addr`, id))
}

// ListenersOn returns the confirmed listeners on port across the fleet.
func (d *DB) ListenersOn(ctx context.Context, port portolan.Port, proto portolan.Proto) ([]portolan.FleetListener, error) {
	q := `SELECT ` + namedCols + ` FROM fleet_listeners l JOIN fleet_hosts h ON h.id = l.host_id WHERE l.port = ? AND l.phase <> 'new'`
	args := []any{int(port)}
	if proto != portolan.ProtoAny {
		q += " AND l.proto = ?"
		args = append(args, protoText(proto))
	}
	return scanNamedListeners(d.db.QueryContext(ctx, q+" ORDER BY h.name, l.host_id, l.proto, l.addr", args...))
}

// FleetDrift returns the active drift of host hostID, or of every host.
func (d *DB) FleetDrift(ctx context.Context, hostID string) ([]portolan.DriftItem, error) {
	q, args := `SELECT `+driftCols+` FROM fleet_drift WHERE phase <> 'new'`, []any{}
	if hostID != "" {
		q += " AND host_id = ?"
		args = append(args, hostID)
	}
	return scanDrift(d.db.QueryContext(ctx, q+" ORDER BY host_id, port, kind", args...))
}

// FleetEvents returns up to limit events after id since, oldest first.
func (d *DB) FleetEvents(ctx context.Context, hostID string, since int64, limit int) ([]portolan.FleetEvent, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, time, host_id, host_name, kind, proto, addr, port, program, drift, detail
		FROM fleet_events WHERE id > ? AND (? = '' OR host_id = ?) ORDER BY id LIMIT ?`, since, hostID, hostID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.FleetEvent
	for rows.Next() {
		var e portolan.FleetEvent
		var t int64
		var proto, addr, kind, drift string
		var port int
		if err := rows.Scan(&e.ID, &t, &e.HostID, &e.HostName, &kind, &proto, &addr, &port, &e.Program, &drift, &e.Detail); err != nil {
			return nil, err
		}
		e.Time, e.Kind, e.Proto, e.Port, e.Drift = fromNanos(t), portolan.FleetEventKind(kind), parseProto(proto), portolan.Port(port), portolan.DriftKind(drift)
		e.Addr, _ = netip.ParseAddr(addr)
		out = append(out, e)
	}
	return out, rows.Err()
}

const listenerCols = "host_id, proto, addr, port, program, process, usr, reach, phase, first_seen, last_seen"

// namedCols are listenerCols with the host's name after them, for the
// answers across hosts (ListenersOn).
const namedCols = "l.host_id, l.proto, l.addr, l.port, l.program, l.process, l.usr, l.reach, l.phase, l.first_seen, l.last_seen, h.name"

func scanNamedListeners(rows *sql.Rows, err error) ([]portolan.FleetListener, error) {
	return scanListenerRows(rows, err, true)
}

func scanListeners(rows *sql.Rows, err error) ([]portolan.FleetListener, error) {
	return scanListenerRows(rows, err, false)
}

func scanListenerRows(rows *sql.Rows, err error, named bool) ([]portolan.FleetListener, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.FleetListener
	for rows.Next() {
		var l portolan.FleetListener
		var proto, addr, reach, phase string
		var port int
		var first, last int64
		dest := []any{&l.HostID, &proto, &addr, &port, &l.Program, &l.Process, &l.User, &reach, &phase, &first, &last}
		if named {
			dest = append(dest, &l.HostName)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		l.Proto, l.Port, l.Reach, l.Phase = parseProto(proto), portolan.Port(port), portolan.Reach(reach), portolan.Phase(phase)
		l.Addr, _ = netip.ParseAddr(addr)
		l.FirstSeen, l.LastSeen = fromNanos(first), fromNanos(last)
		out = append(out, l)
	}
	return out, rows.Err()
}

const driftCols = "host_id, kind, proto, port, program, assignment, detail, since, phase"

func scanDrift(rows *sql.Rows, err error) ([]portolan.DriftItem, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.DriftItem
	for rows.Next() {
		var di portolan.DriftItem
		var kind, proto, phase string
		var port int
		var since int64
		if err := rows.Scan(&di.HostID, &kind, &proto, &port, &di.Program, &di.Assignment, &di.Detail, &since, &phase); err != nil {
			return nil, err
		}
		di.Kind, di.Proto, di.Port, di.Since, di.Phase = portolan.DriftKind(kind), parseProto(proto), portolan.Port(port), fromNanos(since), portolan.Phase(phase)
		out = append(out, di)
	}
	return out, rows.Err()
}

// bindAgent ties a token (?1) to a host (?2) unless the token is tied
// already or the host reports with another token.
const bindAgent = `INSERT INTO fleet_agents (token, host_id)
	SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM fleet_hosts WHERE id = ?2 AND reporter <> '' AND reporter <> ?1)
	ON CONFLICT (token) DO NOTHING`

// BindAgent ties token to hostID at its first report; SQLite's one writer
// orders two first reports.
func (d *DB) BindAgent(ctx context.Context, token, hostID string) (string, error) {
	var bound string
	err := d.write(ctx, func(tx *sql.Tx) error {
		if _, err := d.exec(tx, bindAgent, token, hostID); err != nil {
			return err
		}
		err := d.queryRow(tx, "SELECT host_id FROM fleet_agents WHERE token = ?", token).Scan(&bound)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the host is another token's
		}
		return err
	})
	return bound, err
}

// CompactFleetEvents folds the events before before (see the interface).
func (d *DB) CompactFleetEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := d.write(ctx, func(tx *sql.Tx) error {
		res, err := d.exec(tx, compactEvents, nanos(before))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = d.exec(tx, "UPDATE fleet_hosts SET history_since = ?1 WHERE history_since < ?1", nanos(before))
		return err
	})
	return n, err
}

// compactEvents deletes the events before ?1 but the last listener event
// of each listener, and that one too when it is a listener-down.
const compactEvents = `DELETE FROM fleet_events WHERE time < ?1 AND (kind <> 'listener-up' OR id NOT IN (
	SELECT max(id) FROM fleet_events WHERE time < ?1 AND kind IN ('listener-up', 'listener-down')
	GROUP BY host_id, proto, addr, port))`
