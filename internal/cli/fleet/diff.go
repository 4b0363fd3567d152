package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
)

// maxEventPages bounds how much history diff reads: 200 pages of 1,000.
const maxEventPages = 200

// Side is one side of a diff: a host at a time.
type Side struct {
	Host string    `json:"host"`
	ID   string    `json:"host_id"`
	Time time.Time `json:"time"`
}

// Change is one listener only one side has.
type Change struct {
	Op string `json:"op"` // "+": only the second side, "-": only the first
	portolan.ListenerKey
	Program string `json:"program"`
}

// DiffResult is `fleet diff --json`.
type DiffResult struct {
	From    Side     `json:"from"`
	To      Side     `json:"to"`
	Changes []Change `json:"changes"`
}

// Diff prints how the listeners of a at its time differ from b's at its.
func Diff(ctx context.Context, o *Options, a, b string) error {
	// Both arguments are read before the server is asked: a typo is exit 2
	// whether or not the server answers.
	now := o.Now()
	var sides [2]Side
	for i, arg := range []string{a, b} {
		var err error
		if sides[i], err = parseSide(arg, now); err != nil {
			return err
		}
	}
	c, err := o.Client()
	if err != nil {
		return err
	}
	hosts, err := hostsByID(ctx, c)
	if err != nil {
		return err
	}
	for i := range sides {
		id := resolveHost(hosts, sides[i].Host)
		if id == "" {
			return portolan.Errorf(portolan.ENOTFOUND, "host %q does not report to this server: want a name or id from `portolan fleet`", sides[i].Host)
		}
		sides[i].Host, sides[i].ID = hosts[id].Name, id
		if since := hosts[id].HistorySince; sides[i].Time.Before(since) {
			return portolan.Errorf(portolan.EINVALID, "%s's history is whole only from %s (older events are folded: serve --fleet-history): want a later time than %s",
				sides[i].Host, since.Format(time.RFC3339), sides[i].Time.Format(time.RFC3339))
		}
	}
	// Each host's events once, and only up to the latest time asked of it.
	until := map[string]time.Time{}
	for _, sd := range sides {
		if sd.Time.After(until[sd.ID]) {
			until[sd.ID] = sd.Time
		}
	}
	evs := map[string][]portolan.FleetEvent{}
	for id, t := range until {
		if evs[id], err = history(ctx, c, id, t); err != nil {
			return err
		}
	}
	from, to := replay(evs[sides[0].ID], sides[0]), replay(evs[sides[1].ID], sides[1])
	res := DiffResult{From: sides[0], To: sides[1], Changes: []Change{}}
	for k, p := range to {
		if _, ok := from[k]; !ok {
			res.Changes = append(res.Changes, Change{"+", k, p})
		}
	}
	for k, p := range from {
		if _, ok := to[k]; !ok {
			res.Changes = append(res.Changes, Change{"-", k, p})
		}
	}
	slices.SortFunc(res.Changes, func(x, y Change) int {
		if d := int(x.Port) - int(y.Port); d != 0 {
			return d
		}
		return strings.Compare(x.Op+x.Addr.String(), y.Op+y.Addr.String())
	})
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, res); err != nil {
			return err
		}
	} else if len(res.Changes) > 0 {
		tp := tableprinter.New(o.IO, "", "proto", "address", "port", "program")
		for _, ch := range res.Changes {
			tp.AddRow(ch.Op, ch.Proto.String(), ch.Addr.String(), ch.Port.String(), ch.Program)
		}
		if err := tp.Render(); err != nil {
			return err
		}
	}
	if len(res.Changes) > 0 {
		return cmdutil.Exit(1) // as diff(1): 1 when the sides differ
	}
	if !o.JSON && o.IO.IsStderrTTY() {
		fmt.Fprintln(o.IO.ErrOut, "no difference")
	}
	return nil
}

// history reads host id's events in pages up to the first one after
// until; a history longer than maxEventPages pages is refused, never cut.
func history(ctx context.Context, c *porthttp.Client, id string, until time.Time) ([]portolan.FleetEvent, error) {
	var evs []portolan.FleetEvent
	var since int64
	for range maxEventPages {
		page, err := c.Events(ctx, id, since, 1000)
		if err != nil {
			return nil, err
		}
		evs = append(evs, page...)
		if len(page) < 1000 || page[len(page)-1].Time.After(until) {
			return evs, nil
		}
		since = page[len(page)-1].ID
	}
	return nil, portolan.Errorf(portolan.EUNSUPPORTED, "host %s has more than %d events before %s: want an earlier time, or read /v1/events?host=%s", id, maxEventPages*1000, until.Format(time.RFC3339), id)
}

// parseSide reads HOST@TIME.
func parseSide(arg string, now time.Time) (Side, error) {
	host, when, ok := strings.Cut(arg, "@")
	if !ok || host == "" || when == "" {
		return Side{}, portolan.Errorf(portolan.EINVALID, "%q is not HOST@TIME: want e.g. db-1@-1h, db-1@now or db-1@2026-11-28T10:00:00Z", arg)
	}
	var t time.Time
	switch {
	case when == "now":
		t = now
	case strings.HasPrefix(when, "-"):
		d, err := time.ParseDuration(when[1:])
		if err != nil {
			return Side{}, portolan.Errorf(portolan.EINVALID, "time %q is not a duration before now: want e.g. -1h or -30m", when)
		}
		t = now.Add(-d)
	default:
		var err error
		if t, err = time.Parse(time.RFC3339, when); err != nil {
			return Side{}, portolan.Errorf(portolan.EINVALID, "time %q is not RFC 3339, now or -DURATION: want e.g. 2026-11-28T10:00:00Z", when)
		}
	}
	return Side{Host: host, Time: t}, nil
}

// replay rebuilds a host's listeners at a time from its up and down events.
func replay(evs []portolan.FleetEvent, s Side) map[portolan.ListenerKey]string {
	out := map[portolan.ListenerKey]string{}
	for _, e := range evs {
		if e.Time.After(s.Time) {
			continue // two servers' clocks may differ a little: no early stop
		}
		k := portolan.ListenerKey{Proto: e.Proto, Addr: e.Addr, Port: e.Port}
		switch e.Kind {
		case portolan.EventListenerUp:
			out[k] = e.Program
		case portolan.EventListenerDown:
			delete(out, k)
		}
	}
	return out
}
