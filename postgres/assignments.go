package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/portolan-dev/portolan"
)

func subject(port portolan.Port, proto portolan.Proto) string {
	return port.String() + "/" + proto.String()
}

// CreateAssignment stores a and its audit entry in one transaction. The
// unique constraint on (port, proto) decides a race: the loser gets
// ECONFLICT naming the winner.
func (db *DB) CreateAssignment(ctx context.Context, a *portolan.Assignment) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO assignments (port, proto, name, owner, note, hosts, scope, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created`,
			int32(a.Port), protoText(a.Proto), a.Name, a.Owner, a.Note, a.Hosts, a.Scope, a.CreatedBy).Scan(&a.ID, &a.Created)
		if err != nil {
			return err
		}
		a.Created = a.Created.UTC()
		_, err = tx.Exec(ctx, `INSERT INTO audit (time, actor, action, subject, detail) VALUES ($1, $2, 'assign', $3, $4)`,
			a.Created, a.CreatedBy, subject(a.Port, a.Proto), a.Name)
		return err
	})
	switch code, pe := pgCode(err); code {
	case "":
		return err
	case uniqueViolation:
		var name string
		if db.pool.QueryRow(ctx, "SELECT name FROM assignments WHERE port = $1 AND proto = $2",
			int32(a.Port), protoText(a.Proto)).Scan(&name) == nil {
			return portolan.Errorf(portolan.ECONFLICT, "%s is already assigned to %s", subject(a.Port, a.Proto), name)
		}
		return portolan.Errorf(portolan.ECONFLICT, "%s is already assigned", subject(a.Port, a.Proto))
	case checkViolation:
		return portolan.Errorf(portolan.EINVALID, "assignment of %s refused by the store: %s", subject(a.Port, a.Proto), pe.Message)
	}
	return err
}

// Assignments returns the assignments matching f, ordered by port and protocol.
func (db *DB) Assignments(ctx context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if f.Port != nil {
		add("port", int32(*f.Port))
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
	// Protocols sort in registry order (tcp, udp, sctp, dccp), as in Go.
	q += " ORDER BY port, array_position(ARRAY['tcp','udp','sctp','dccp'], proto)"
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.Assignment
	for rows.Next() {
		var a portolan.Assignment
		var port int32
		var proto string
		if err := rows.Scan(&a.ID, &port, &proto, &a.Name, &a.Owner, &a.Note, &a.Hosts, &a.Scope, &a.Created, &a.CreatedBy); err != nil {
			return nil, err
		}
		a.Port, a.Proto, a.Created = portolan.Port(port), parseProto(proto), a.Created.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAssignment removes the assignment of port/proto and records actor
// in the audit log, in one transaction; ENOTFOUND when there is none.
func (db *DB) DeleteAssignment(ctx context.Context, port portolan.Port, proto portolan.Proto, actor string) error {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, "DELETE FROM assignments WHERE port = $1 AND proto = $2 RETURNING name",
			int32(port), protoText(proto)).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return portolan.Errorf(portolan.ENOTFOUND, "%s is not assigned", subject(port, proto))
		} else if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (actor, action, subject, detail) VALUES ($1, 'unassign', $2, $3)`,
			actor, subject(port, proto), name)
		return err
	})
}

// Audit returns the newest limit entries, newest first; limit <= 0 means all.
func (db *DB) Audit(ctx context.Context, limit int) ([]portolan.AuditEntry, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	q := "SELECT id, time, actor, action, subject, detail FROM audit ORDER BY id DESC"
	var args []any
	if limit > 0 {
		q += " LIMIT $1"
		args = append(args, limit)
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.AuditEntry
	for rows.Next() {
		var e portolan.AuditEntry
		if err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
