-- The fleet: hosts that report their listeners, the listeners (keyed on
-- host, protocol, address and port, never the pid), the drift against the
-- assignments, and the events. phase carries the two-report rule.
ALTER TABLE assignments ADD COLUMN scope TEXT NOT NULL DEFAULT '' CHECK (scope IN ('', 'loopback'));

CREATE TABLE fleet_hosts (
    id          TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
    name        TEXT NOT NULL,
    reporter    TEXT NOT NULL DEFAULT '',
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    interval_ns BIGINT NOT NULL DEFAULT 0,
    seq         BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE fleet_listeners (
    host_id    TEXT NOT NULL REFERENCES fleet_hosts (id) ON DELETE CASCADE,
    proto      TEXT NOT NULL,
    addr       TEXT NOT NULL,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    program    TEXT NOT NULL,
    process    TEXT NOT NULL DEFAULT '',
    usr        TEXT NOT NULL DEFAULT '',
    reach      TEXT NOT NULL DEFAULT '',
    phase      TEXT NOT NULL CHECK (phase IN ('new', 'up', 'missing')),
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (host_id, proto, addr, port)
);
CREATE INDEX fleet_listeners_port ON fleet_listeners (port);

CREATE TABLE fleet_drift (
    host_id    TEXT NOT NULL REFERENCES fleet_hosts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    proto      TEXT NOT NULL,
    port       INTEGER NOT NULL,
    program    TEXT NOT NULL DEFAULT '',
    assignment TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    since      TIMESTAMPTZ NOT NULL,
    phase      TEXT NOT NULL CHECK (phase IN ('new', 'up', 'missing')),
    PRIMARY KEY (host_id, kind, proto, port)
);

CREATE TABLE fleet_events (
    id        BIGSERIAL PRIMARY KEY,
    time      TIMESTAMPTZ NOT NULL,
    host_id   TEXT NOT NULL,
    host_name TEXT NOT NULL DEFAULT '',
    kind      TEXT NOT NULL,
    proto     TEXT NOT NULL DEFAULT '',
    addr      TEXT NOT NULL DEFAULT '',
    port      INTEGER NOT NULL DEFAULT 0,
    program   TEXT NOT NULL DEFAULT '',
    drift     TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fleet_events_host ON fleet_events (host_id, id);
