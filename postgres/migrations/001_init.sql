-- Leases: one per port, whichever server granted it. The unique constraint,
-- not a lock inside one process, is what keeps several servers consistent.
CREATE TABLE leases (
    id         BIGSERIAL PRIMARY KEY,
    port       INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 0 AND 65535),
    proto      TEXT NOT NULL DEFAULT '' CHECK (proto IN ('', 'tcp', 'udp', 'sctp', 'dccp')),
    pid        INTEGER NOT NULL DEFAULT 0,
    pid_start  BIGINT NOT NULL DEFAULT 0,
    label      TEXT NOT NULL DEFAULT '',
    created    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires    TIMESTAMPTZ,
    host       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT ''
);

-- Assignments: the organisation's own registry, one per port and protocol.
CREATE TABLE assignments (
    id         BIGSERIAL PRIMARY KEY,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    proto      TEXT NOT NULL CHECK (proto IN ('tcp', 'udp', 'sctp', 'dccp')),
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    hosts      TEXT NOT NULL DEFAULT '',
    created    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by TEXT NOT NULL DEFAULT '',
    CONSTRAINT assignments_port_proto_key UNIQUE (port, proto)
);
CREATE INDEX assignments_owner_idx ON assignments (owner);

-- Audit: who changed what, when; written in the same transaction as the change.
CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    time    TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor   TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
