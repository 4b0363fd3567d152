-- Leases: one per port. The unique constraint, not a lock inside one
-- process, keeps concurrent CLI processes and a daemon consistent.
-- AUTOINCREMENT so a reclaimed lease's id is never given to a new lease:
-- reclaim deletes by id from a snapshot, and must never hit a newer grant.
CREATE TABLE leases (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    port       INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 0 AND 65535),
    proto      TEXT NOT NULL DEFAULT '' CHECK (proto IN ('', 'tcp', 'udp', 'sctp', 'dccp')),
    pid        INTEGER NOT NULL DEFAULT 0,
    pid_start  INTEGER NOT NULL DEFAULT 0,
    label      TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,  -- Unix nanoseconds, UTC
    expires    INTEGER,           -- Unix nanoseconds; NULL: no TTL
    host       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT ''
);

-- Assignments: the organisation's own registry, one per port and protocol.
CREATE TABLE assignments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    proto      TEXT NOT NULL CHECK (proto IN ('tcp', 'udp', 'sctp', 'dccp')),
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    hosts      TEXT NOT NULL DEFAULT '',
    created    INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    UNIQUE (port, proto)
);
CREATE INDEX assignments_owner_idx ON assignments (owner);

-- Audit: who changed what, when; written in the same transaction as the change.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    time    INTEGER NOT NULL,
    actor   TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
