-- Where each host's event history starts being whole: events before it
-- were folded into the listener-up events of the listeners still up then
-- (serve --fleet-history). 0: the history is whole.
ALTER TABLE fleet_hosts ADD COLUMN history_since INTEGER NOT NULL DEFAULT 0;
