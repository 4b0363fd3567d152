-- An agent token reports for one host: the one its first report named
-- (trust on first use). The primary key makes two servers that see the
-- token's first reports for two hosts at once agree on one of them.
CREATE TABLE fleet_agents (
    token   TEXT PRIMARY KEY,
    host_id TEXT NOT NULL
);

-- serve --report-self's token was "self" on every server; it is now
-- "self@HOST_ID", one a host, as an agent token must be.
UPDATE fleet_hosts SET reporter = 'self@' || id WHERE reporter = 'self';
