package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

func subject(port portolan.Port, proto portolan.Proto) string {
	return port.String() + "/" + proto.String()
}

// CreateAssignment stores a and its audit entry in one savepoint. The
// unique constraint on (port, proto) decides a race: the loser gets
// ECONFLICT naming the winner.
func (d *DB) CreateAssignment(ctx context.Context, a *portolan.Assignment) error {
	now := time.Now().UTC()
	var id int64
	err := d.write(ctx, func(tx *sql.Tx) error {
		err := d.queryRow(tx, `INSERT INTO assignments (port, proto, name, owner, note, hosts, scope, created, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			int(a.Port), protoText(a.Proto), a.Name, a.Owner, a.Note, a.Hosts, a.Scope, nanos(now), a.CreatedBy).Scan(&id)
		switch {
		case isUnique(err):
			var name string
			if d.queryRow(tx, "SELECT name FROM assignments WHERE port = ? AND proto = ?", int(a.Port), protoText(a.Proto)).Scan(&name) == nil {
				return portolan.Errorf(portolan.ECONFLICT, "%s is already assigned to %s", subject(a.Port, a.Proto), name)
			}
			return portolan.Errorf(portolan.ECONFLICT, "%s is already assigned", subject(a.Port, a.Proto))
		case isCheck(err):
			return portolan.Errorf(portolan.EINVALID, "assignment of %s refused by the store: want a port 0-65535 and one of tcp, udp, sctp, dccp", subject(a.Port, a.Proto))
		case err != nil:
			return err
		}
		_, err = d.exec(tx, `INSERT INTO audit (time, actor, action, subject, detail) VALUES (?, ?, 'assign', ?, ?)`,
			nanos(now), a.CreatedBy, subject(a.Port, a.Proto), a.Name)
		return err
	})
	if err != nil {
		return err
	}
	a.ID, a.Created = id, now
	return nil
}

// Assignments returns the assignments matching f, ordered by port and
// protocol (in registry order: tcp, udp, sctp, dccp).
func (d *DB) Assignments(ctx context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = ?")
	}
	if f.Port != nil {
		add("port", int(*f.Port))
	}
	if f.Proto != portolan.ProtoAny {
		add("proto", protoText(f.Proto))
	}
	if f.Owner != "" {
		add("owner", f.Owner)
	}
	if f.Name != "" {
		add("name", f.Name)
	}
	q := "SELECT id, port, proto, name, owner, note, hosts, scope, created, created_by FROM assignments"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY port, CASE proto WHEN 'tcp' THEN 1 WHEN 'udp' THEN 2 WHEN 'sctp' THEN 3 ELSE 4 END"
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Assignment
	for rows.Next() {
		var a portolan.Assignment
		var port int
		var created int64
		var proto string
		if err := rows.Scan(&a.ID, &port, &proto, &a.Name, &a.Owner, &a.Note, &a.Hosts, &a.Scope, &created, &a.CreatedBy); err != nil {
			return nil, err
		}
		a.Port, a.Proto, a.Created = portolan.Port(port), parseProto(proto), fromNanos(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAssignment removes the assignment of port/proto and records actor
// in the audit log, in one savepoint; ENOTFOUND when there is none.
func (d *DB) DeleteAssignment(ctx context.Context, port portolan.Port, proto portolan.Proto, actor string) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		var name string
		err := d.queryRow(tx, "DELETE FROM assignments WHERE port = ? AND proto = ? RETURNING name", int(port), protoText(proto)).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return portolan.Errorf(portolan.ENOTFOUND, "%s is not assigned", subject(port, proto))
		} else if err != nil {
			return err
		}
		_, err = d.exec(tx, `INSERT INTO audit (time, actor, action, subject, detail) VALUES (?, ?, 'unassign', ?, ?)`,
			nanos(time.Now()), actor, subject(port, proto), name)
		return err
	})
}

// Audit returns the newest limit entries, newest first; limit <= 0 means all.
func (d *DB) Audit(ctx context.Context, limit int) ([]portolan.AuditEntry, error) {
	q := "SELECT id, time, actor, action, subject, detail FROM audit ORDER BY id DESC"
	var args []any
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.AuditEntry
	for rows.Next() {
		var e portolan.AuditEntry
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = fromNanos(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
