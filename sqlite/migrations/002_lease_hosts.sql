-- Leases are per host: a port is leased once per host (its machine-id and
-- namespaces), not once across every host sharing the store, and only that
-- host judges whether a lease's owner PID still runs. SQLite cannot drop a
-- column's UNIQUE, so the table is rebuilt. Rows from before keep host_id
-- '' and are adopted by the allocator whose host name they carry.
CREATE TABLE leases_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    proto      TEXT NOT NULL DEFAULT '' CHECK (proto IN ('', 'tcp', 'udp', 'sctp', 'dccp')),
    pid        INTEGER NOT NULL DEFAULT 0,
    pid_start  INTEGER NOT NULL DEFAULT 0,
    label      TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,
    expires    INTEGER,
    host       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    host_id    TEXT NOT NULL DEFAULT '',
    UNIQUE (host_id, port)
);
INSERT INTO leases_new (id, port, proto, pid, pid_start, label, created, expires, host, created_by)
    SELECT id, port, proto, pid, pid_start, label, created, expires, host, created_by FROM leases;
-- Keep the id sequence where it was: reclaim deletes by id, so an id must
-- never come back, even one whose lease was deleted before this rebuild.
DELETE FROM sqlite_sequence WHERE name = 'leases_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'leases_new', seq FROM sqlite_sequence WHERE name = 'leases';
DROP TABLE leases;
ALTER TABLE leases_new RENAME TO leases;

-- The ports an allocator added to its host's ip_local_reserved_ports
-- (--reserve-kernel), so a restart after a crash removes the ones no
-- live lease needs and reserves the live ones again.
CREATE TABLE kernel_reservations (
    host_id TEXT NOT NULL,
    port    INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    PRIMARY KEY (host_id, port)
) WITHOUT ROWID;
