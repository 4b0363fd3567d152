-- Named ports: the port of a service NAME in a checkout (project and
-- worktree), one per key and one key per port on a host, so concurrent
-- first requests for a name agree on one port.
CREATE TABLE named_ports (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    host_id  TEXT NOT NULL,
    project  TEXT NOT NULL,
    worktree TEXT NOT NULL,
    name     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
    port     INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    proto    TEXT NOT NULL DEFAULT '' CHECK (proto IN ('', 'tcp', 'udp', 'sctp', 'dccp')),
    created  INTEGER NOT NULL,
    UNIQUE (host_id, project, worktree, name),
    UNIQUE (host_id, port)
);
