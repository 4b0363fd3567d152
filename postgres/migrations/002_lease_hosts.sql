-- Leases are per host: a port is leased once per host (its machine-id and
-- namespaces), not once across every server sharing the database, and only
-- that host judges whether a lease's owner PID still runs. Rows from before
-- keep host_id '' and are adopted by the allocator whose host name they carry.
ALTER TABLE leases ADD COLUMN host_id TEXT NOT NULL DEFAULT '';
ALTER TABLE leases DROP CONSTRAINT leases_port_key;
ALTER TABLE leases ADD CONSTRAINT leases_host_id_port_key UNIQUE (host_id, port);

-- The ports an allocator added to its host's ip_local_reserved_ports
-- (--reserve-kernel), so a restart after a crash removes the ones no
-- live lease needs and reserves the live ones again.
CREATE TABLE kernel_reservations (
    host_id TEXT NOT NULL,
    port    INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    PRIMARY KEY (host_id, port)
);
