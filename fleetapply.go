package portolan

import (
	"path"
	"slices"
	"strings"
	"time"
)

// ApplyReport runs one report against a host's record and the plan (every
// assignment; those whose Hosts glob matches neither the host's name nor
// its id are left out). A change counts only when two consecutive reports
// agree: a listener is up at its second report and gone at its second
// absence, so a restart between polls, or across one poll, is no event.
// Drift runs on the same rule, from what the report shows.
//
// A delta whose Base is not the record's last report changes nothing but
// the host's last-seen time and asks for a full report.
func ApplyReport(rec HostRecord, known bool, rep FleetReport, plan []Assignment, now time.Time) (HostChange, ReportAck) {
	h := rec.Host
	ch := HostChange{New: !known}
	if !known {
		h = FleetHost{ID: rep.HostID, FirstSeen: now}
		ch.Events = append(ch.Events, FleetEvent{Kind: EventHostNew, Detail: rep.HostName})
	}
	h.Name, h.LastSeen = rep.HostName, now
	if rep.Interval > 0 {
		h.Interval = rep.Interval
	}
	if !rep.Full && (!known || rep.Base != h.Seq) {
		ch.Host = h
		ch.Events = stamp(ch.Events, h, now)
		return ch, ReportAck{Seq: h.Seq, Resync: true}
	}
	seen := observed(rec, rep)
	keys := make([]ListenerKey, 0, len(rec.Listeners)+len(seen))
	for k := range rec.Listeners {
		keys = append(keys, k)
	}
	for k := range seen {
		if _, ok := rec.Listeners[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareListenerKeys)
	for _, k := range keys {
		old, had := rec.Listeners[k]
		cur, now2 := seen[k]
		next, ev, keep := stepListener(old, had, cur, now2, now)
		switch {
		case !keep && had:
			ch.DropListeners = append(ch.DropListeners, k)
		case keep && (!had || next != old):
			ch.PutListeners = append(ch.PutListeners, next)
		}
		if ev != "" {
			ch.Events = append(ch.Events, FleetEvent{Kind: ev, Proto: k.Proto, Addr: k.Addr, Port: k.Port, Program: next.Program})
		}
	}
	h.Seq = rep.Seq
	drift := Drift(h, seen, plan)
	ch.PutDrift, ch.DropDrift, ch.Events = stepDrift(rec.Drift, drift, now, ch.Events)
	ch.Host = h
	ch.Events = stamp(ch.Events, h, now)
	return ch, ReportAck{Seq: h.Seq}
}

// observed is the set of listeners the report shows: the full list, or the
// last report's (every listener not missing from it) with the delta applied.
func observed(rec HostRecord, rep FleetReport) map[ListenerKey]FleetListener {
	seen := map[ListenerKey]FleetListener{}
	if rep.Full {
		for _, l := range rep.Listeners {
			seen[l.ListenerKey] = l
		}
		return seen
	}
	for k, l := range rec.Listeners {
		if l.Phase != PhaseMissing {
			seen[k] = l
		}
	}
	for _, k := range rep.Removed {
		delete(seen, k)
	}
	for _, l := range rep.Added {
		seen[l.ListenerKey] = l
	}
	return seen
}

// stepListener moves one listener through the two-report rule: what to
// keep (or not) and the event, if this report confirms a change.
func stepListener(old FleetListener, had bool, cur FleetListener, present bool, now time.Time) (FleetListener, FleetEventKind, bool) {
	if present {
		next := old
		if !had {
			next = FleetListener{ListenerKey: cur.ListenerKey, FirstSeen: now, Phase: PhaseNew}
		}
		// LastSeen moves only with a change: the host's own last-seen time
		// says it still reports, so a heartbeat writes one row, not one
		// per listener.
		if !had || next.Program != cur.Program || next.Process != cur.Process || next.User != cur.User || next.Reach != cur.Reach || next.Phase != PhaseUp {
			next.LastSeen = now
		}
		next.Program, next.Process, next.User, next.Reach = cur.Program, cur.Process, cur.User, cur.Reach
		switch next.Phase {
		case PhaseNew:
			if had {
				next.Phase = PhaseUp
				return next, EventListenerUp, true
			}
		case PhaseMissing:
			next.Phase = PhaseUp
		}
		return next, "", true
	}
	if !had {
		return old, "", false
	}
	switch old.Phase {
	case PhaseUp:
		old.Phase = PhaseMissing
		return old, "", true
	case PhaseMissing:
		return old, EventListenerDown, false
	}
	return old, "", false // new once, gone again: never counted
}

// stepDrift runs the two-report rule on the drift the report shows.
func stepDrift(prev map[DriftKey]DriftItem, cur map[DriftKey]DriftItem, now time.Time, evs []FleetEvent) (put []DriftItem, drop []DriftKey, _ []FleetEvent) {
	keys := make([]DriftKey, 0, len(prev)+len(cur))
	for k := range prev {
		keys = append(keys, k)
	}
	for k := range cur {
		if _, ok := prev[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b DriftKey) int {
		if c := int(a.Port) - int(b.Port); c != 0 {
			return c
		}
		if c := int(a.Proto) - int(b.Proto); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	for _, k := range keys {
		old, had := prev[k]
		c, present := cur[k]
		switch {
		case present && !had:
			c.Since, c.Phase = now, PhaseNew
			put = append(put, c)
		case present:
			c.Since, c.Phase = old.Since, PhaseUp
			if old.Phase == PhaseNew {
				c.Since = now
				evs = append(evs, FleetEvent{Kind: EventDrift, Drift: k.Kind, Proto: k.Proto, Port: k.Port, Program: c.Program, Detail: c.Detail})
			}
			if c != old {
				put = append(put, c)
			}
		case old.Phase == PhaseUp:
			old.Phase = PhaseMissing
			put = append(put, old)
		case old.Phase == PhaseMissing:
			drop = append(drop, k)
			evs = append(evs, FleetEvent{Kind: EventDriftCleared, Drift: k.Kind, Proto: k.Proto, Port: k.Port, Program: old.Program, Detail: old.Detail})
		default:
			drop = append(drop, k)
		}
	}
	return put, drop, evs
}

// Drift is how the listeners of host h differ from the assignments that
// apply to it.
func Drift(h FleetHost, listeners map[ListenerKey]FleetListener, plan []Assignment) map[DriftKey]DriftItem {
	out := map[DriftKey]DriftItem{}
	type pp struct {
		port  Port
		proto Proto
	}
	mine := map[pp]Assignment{}
	for _, a := range plan {
		if appliesTo(a, h) {
			mine[pp{a.Port, a.Proto}] = a
		}
	}
	held := map[pp][]FleetListener{}
	for _, l := range listeners {
		held[pp{l.Port, l.Proto}] = append(held[pp{l.Port, l.Proto}], l)
	}
	for k, ls := range held {
		a, ok := mine[k]
		if !ok {
			a, ok = mine[pp{k.port, ProtoAny}]
		}
		if !ok {
			if ClassOf(k.port) != Dynamic {
				d := DriftKey{DriftUnregistered, k.proto, k.port}
				out[d] = DriftItem{HostID: h.ID, DriftKey: d, Program: ls[0].Program, Detail: "no assignment covers this port"}
			}
			continue
		}
		for _, l := range ls {
			if !holds(a, l.Program) {
				d := DriftKey{DriftForeign, k.proto, k.port}
				out[d] = DriftItem{HostID: h.ID, DriftKey: d, Program: l.Program, Assignment: a.Name,
					Detail: "assigned to " + a.Name + ", held by " + l.Program}
				break
			}
		}
		if a.Scope == ScopeLoopbackOnly {
			for _, l := range ls {
				if l.Reach != "" && l.Reach != ReachLoopback {
					d := DriftKey{DriftExposed, k.proto, k.port}
					out[d] = DriftItem{HostID: h.ID, DriftKey: d, Program: l.Program, Assignment: a.Name,
						Detail: a.Name + " is assigned for loopback only; it listens on " + l.Addr.String() + " (" + string(l.Reach) + ")"}
					break
				}
			}
		}
	}
	for k, a := range mine {
		up := len(held[k]) > 0
		if k.proto == ProtoAny {
			up = len(held[pp{k.port, TCP}]) > 0 || len(held[pp{k.port, UDP}]) > 0
		}
		if !up {
			d := DriftKey{DriftDown, k.proto, k.port}
			out[d] = DriftItem{HostID: h.ID, DriftKey: d, Assignment: a.Name, Detail: a.Name + " is assigned here and nothing listens"}
		}
	}
	return out
}

// appliesTo: an assignment with no Hosts glob applies everywhere; else the
// glob must match the host's name or id.
func appliesTo(a Assignment, h FleetHost) bool {
	if a.Hosts == "" {
		return true
	}
	m1, _ := path.Match(a.Hosts, h.Name)
	m2, _ := path.Match(a.Hosts, h.ID)
	return m1 || m2
}

// holds reports whether program is the one assignment a names: the
// assignment's name is a word of the program's identity (a container,
// compose service, unit or executable named like the service). A hidden
// owner is given the benefit of the doubt.
func holds(a Assignment, program string) bool {
	if program == "" || program == "hidden" {
		return true
	}
	name := strings.ToLower(a.Name)
	for _, w := range strings.FieldsFunc(strings.ToLower(program), func(r rune) bool {
		return r == ' ' || r == '/' || r == '(' || r == ')' || r == ':'
	}) {
		w = strings.TrimSuffix(strings.TrimSuffix(w, ".service"), ".scope")
		if w == name || strings.HasPrefix(w, name+"-") || strings.HasPrefix(w, name+"_") || strings.HasPrefix(name, w+"-") {
			return true
		}
	}
	return false
}

func stamp(evs []FleetEvent, h FleetHost, now time.Time) []FleetEvent {
	for i := range evs {
		evs[i].Time, evs[i].HostID, evs[i].HostName = now, h.ID, h.Name
	}
	return evs
}

func compareListenerKeys(a, b ListenerKey) int {
	if c := int(a.Port) - int(b.Port); c != 0 {
		return c
	}
	if c := int(a.Proto) - int(b.Proto); c != 0 {
		return c
	}
	return a.Addr.Compare(b.Addr)
}
