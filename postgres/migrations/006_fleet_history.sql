-- Where each host's event history starts being whole: events before it
-- were folded into the listener-up events of the listeners still up then
-- (serve --fleet-history). NULL: the history is whole.
ALTER TABLE fleet_hosts ADD COLUMN history_since TIMESTAMPTZ;
