package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

var _ portolan.NamedPortStore = (*DB)(nil)

// NamedPorts returns host hostID's named ports by project, worktree, name.
func (d *DB) NamedPorts(ctx context.Context, hostID string) ([]portolan.NamedPort, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT project, worktree, name, port, proto, created, host_id
		FROM named_ports WHERE host_id = ? ORDER BY project, worktree, name`, hostID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portolan.NamedPort
	for rows.Next() {
		var np portolan.NamedPort
		var port int
		var proto string
		var created int64
		if err := rows.Scan(&np.Project, &np.Worktree, &np.Name, &port, &proto, &created, &np.HostID); err != nil {
			return nil, err
		}
		np.Port, np.Proto, np.Created = portolan.Port(port), parseProto(proto), fromNanos(created)
		out = append(out, np)
	}
	return out, rows.Err()
}

// InsertNamedPort stores np in the next group commit; the unique
// constraints refuse a key or a port already named on its host.
func (d *DB) InsertNamedPort(ctx context.Context, np *portolan.NamedPort) error {
	now := time.Now().UTC()
	err := d.write(ctx, func(tx *sql.Tx) error {
		_, err := d.exec(tx, `INSERT INTO named_ports (host_id, project, worktree, name, port, proto, created)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, np.HostID, np.Project, np.Worktree, np.Name, int(np.Port), protoText(np.Proto), nanos(now))
		switch {
		case isUnique(err) && strings.Contains(err.Error(), "named_ports.port"):
			return portolan.Errorf(portolan.ECONFLICT, "port %d is already named on this host", np.Port)
		case isUnique(err):
			return portolan.Errorf(portolan.ECONFLICT, "%s is already named in %s", np.Name, np.Worktree)
		case isCheck(err):
			return portolan.Errorf(portolan.EINVALID, "named port %s refused by the store: %s", np.Name, err)
		}
		return err
	})
	if err == nil {
		np.Created = now
	}
	return err
}

// DeleteNamedPort forgets key on host hostID.
func (d *DB) DeleteNamedPort(ctx context.Context, hostID string, key portolan.NameKey) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		res, err := d.exec(tx, "DELETE FROM named_ports WHERE host_id = ? AND project = ? AND worktree = ? AND name = ?",
			hostID, key.Project, key.Worktree, key.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return portolan.Errorf(portolan.ENOTFOUND, "%s is not named in %s", key.Name, key.Worktree)
		}
		return nil
	})
}
