package serve

import (
	"context"
	"log/slog"
	"time"

	"github.com/portolan-dev/portolan"
)

// DefaultFleetHistory is how long the fleet's events are kept whole.
const DefaultFleetHistory = 90 * 24 * time.Hour

// foldEvery is how often the events older than --fleet-history are folded.
const foldEvery = time.Hour

// historyLoop folds the fleet's events older than keep, at start and then
// every foldEvery, until ctx ends: `fleet diff` stays right from there on,
// and the event log no longer grows with every change ever made. keep 0,
// or a store that keeps no fleet, folds nothing. Several servers on one
// store may fold at once: a fold is idempotent.
func historyLoop(ctx context.Context, fs portolan.FleetStore, keep time.Duration, log *slog.Logger) error {
	if fs == nil || keep <= 0 {
		<-ctx.Done()
		return nil
	}
	var failing string
	for {
		n, err := fs.CompactFleetEvents(ctx, time.Now().Add(-keep).UTC().Truncate(time.Microsecond))
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			if msg := err.Error(); msg != failing {
				log.Error("folding old fleet events failed", "err", err)
				failing = msg
			}
		default:
			if failing != "" {
				log.Info("folding old fleet events works again")
				failing = ""
			}
			if n > 0 {
				log.Info("folded old fleet events", "removed", n, "older_than", keep)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(foldEvery):
		}
	}
}
