// Package reporter sends this host's listeners to a portolan server: the
// loop behind `portolan agent` and `serve --report-self`. A full report at
// start and every Resync, only the changes at each Interval (an empty delta
// is the heartbeat), and while the server is away only the latest state is
// kept, with a capped, jittered backoff between attempts.
package reporter

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// Reporter is one host's report loop.
type Reporter struct {
	Client     *porthttp.Client
	Base       portolan.FleetReport // HostID, HostName and Interval of every report
	Interval   time.Duration
	Resync     time.Duration
	MaxBackoff time.Duration // default max(5m, Interval)
	Log        *slog.Logger

	snap     *snapshotter
	acked    map[portolan.ListenerKey]portolan.FleetListener // what the server holds
	seq      uint64
	server   uint64 // the server's seq for this host
	needFull bool
	lastFull time.Time
}

func (r *Reporter) init() {
	if r.snap == nil {
		r.snap = newSnapshotter()
		r.needFull = true
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = max(5*time.Minute, r.Interval)
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
}

// Once sends one full report and returns how many listeners it carried.
func (r *Reporter) Once(ctx context.Context) (int, error) {
	r.init()
	err := r.step(ctx)
	return len(r.acked), err
}

// Run reports until ctx ends; failures are logged, never returned.
func (r *Reporter) Run(ctx context.Context) error {
	r.init()
	r.Log.Info("reporting this host's listeners", "server", r.Client.BaseURL(), "host_id", r.Base.HostID, "host", r.Base.HostName, "interval", r.Interval)
	failures := 0
	for {
		err := r.step(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			if failures == 1 || failures%10 == 0 {
				r.Log.Warn("report failed; keeping the latest state and retrying", "server", r.Client.BaseURL(), "failures", failures, "err", cmdutil.Message(err))
			}
		case err == nil && failures > 0:
			r.Log.Info("reporting again", "server", r.Client.BaseURL(), "after_failures", failures)
			failures = 0
		}
		wait := r.Interval
		if failures > 0 {
			wait = backoff(r.Interval, r.MaxBackoff, failures)
		} else if r.needFull {
			wait = 0 // the server asked for a full report: send it now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// step reads the listeners and sends one report: full when due, else the
// changes against what the server acknowledged last.
func (r *Reporter) step(ctx context.Context) error {
	cur, err := r.snap.take(ctx)
	if err != nil {
		return err
	}
	rep := r.Base
	r.seq++
	rep.Seq, rep.Base = r.seq, r.server
	full := r.needFull || time.Since(r.lastFull) >= r.Resync
	if full {
		rep.Full = true
		rep.Listeners = make([]portolan.FleetListener, 0, len(cur))
		for _, l := range cur {
			rep.Listeners = append(rep.Listeners, l)
		}
	} else {
		for k, l := range cur {
			if old, ok := r.acked[k]; !ok || old.Program != l.Program || old.Reach != l.Reach || old.Process != l.Process || old.User != l.User {
				rep.Added = append(rep.Added, l)
			}
		}
		for k := range r.acked {
			if _, ok := cur[k]; !ok {
				rep.Removed = append(rep.Removed, k)
			}
		}
	}
	ack, err := r.Client.Report(ctx, rep)
	if err != nil {
		return err
	}
	if ack.Resync {
		r.needFull, r.server = true, ack.Seq
		return nil
	}
	r.acked, r.server, r.needFull = cur, ack.Seq, false
	if full {
		r.lastFull = time.Now()
	}
	return nil
}

// backoff is the wait after n failures in a row: doubling from the
// interval up to maxWait, with up to a quarter of jitter so a fleet that
// lost its server does not come back in step.
func backoff(interval, maxWait time.Duration, n int) time.Duration {
	d := interval
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// MachineID reads a host's stable id from the first line of path
// (/etc/machine-id): it survives renames and reinstalls of the agent.
func MachineID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot read the machine id %s: %s; want a file such as /etc/machine-id (--machine-id-file)", path, err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if !portolan.ValidHostID(id) {
		return "", portolan.Errorf(portolan.EINVALID, "machine id in %s is not valid: want 1-128 letters, digits, '.', '_', ':' or '-'", path)
	}
	return id, nil
}
