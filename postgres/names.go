package postgres

import (
	"context"
	"time"

	"github.com/portolan-dev/portolan"
)

var _ portolan.NamedPortStore = (*DB)(nil)

// NamedPorts returns host hostID's named ports by project, worktree, name.
func (db *DB) NamedPorts(ctx context.Context, hostID string) ([]portolan.NamedPort, error) {
	rows, err := db.pool.Query(ctx, `SELECT project, worktree, name, port, proto, created, host_id
		FROM named_ports WHERE host_id = $1 ORDER BY project, worktree, name`, hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.NamedPort
	for rows.Next() {
		var np portolan.NamedPort
		var port int32
		var proto string
		var created time.Time
		if err := rows.Scan(&np.Project, &np.Worktree, &np.Name, &port, &proto, &created, &np.HostID); err != nil {
			return nil, err
		}
		np.Port, np.Proto, np.Created = portolan.Port(port), parseProto(proto), created.UTC()
		out = append(out, np)
	}
	return out, rows.Err()
}

// InsertNamedPort stores np; the unique constraints refuse a key or a port
// already named on its host, so concurrent servers agree.
func (db *DB) InsertNamedPort(ctx context.Context, np *portolan.NamedPort) error {
	var created time.Time
	err := db.pool.QueryRow(ctx, `INSERT INTO named_ports (host_id, project, worktree, name, port, proto)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING created`,
		np.HostID, np.Project, np.Worktree, np.Name, int32(np.Port), protoText(np.Proto)).Scan(&created)
	switch code, pe := pgCode(err); code {
	case "":
		if err != nil {
			return err
		}
		np.Created = created.UTC()
		return nil
	case uniqueViolation:
		if pe.ConstraintName == "named_ports_port" {
			return portolan.Errorf(portolan.ECONFLICT, "port %d is already named on this host", np.Port)
		}
		return portolan.Errorf(portolan.ECONFLICT, "%s is already named in %s", np.Name, np.Worktree)
	case checkViolation:
		return portolan.Errorf(portolan.EINVALID, "named port %s refused by the store: %s", np.Name, pe.Message)
	}
	return err
}

// DeleteNamedPort forgets key on host hostID.
func (db *DB) DeleteNamedPort(ctx context.Context, hostID string, key portolan.NameKey) error {
	tag, err := db.pool.Exec(ctx, "DELETE FROM named_ports WHERE host_id = $1 AND project = $2 AND worktree = $3 AND name = $4",
		hostID, key.Project, key.Worktree, key.Name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return portolan.Errorf(portolan.ENOTFOUND, "%s is not named in %s", key.Name, key.Worktree)
	}
	return nil
}
