package query

import (
	"context"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry"
)

// batchSize is the number of queries from which a run reads this host's
// listening sockets once and answers from that list: one owner scan of
// every process costs about as much as a few port-filtered ones.
const batchSize = 8

// lookup wires the options into the library's one lookup.
func (o *Options) lookup(reg *registry.Registry, host *portolan.HostRanges, batch bool) *portolan.Lookup {
	l := &portolan.Lookup{Registry: reg, Host: host, Leases: o.Leases, Fleet: o.Fleet}
	if o.Assignments != nil {
		l.Assignments = func(ctx context.Context) ([]portolan.Assignment, error) {
			return o.Assignments(ctx, portolan.Range{Lo: 0, Hi: portolan.MaxPort}, portolan.ProtoAny)
		}
	}
	if o.Sockets != nil && batch {
		l.Sockets = onceSockets(o.Sockets)
	} else {
		l.Sockets = o.Sockets
	}
	return l
}

// onceSockets lists every listening socket at the first call and answers
// each later one from that list.
func onceSockets(list func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Socket, error)) func(context.Context, portolan.Range, portolan.Proto) ([]portolan.Socket, error) {
	var (
		once sync.Once
		all  []portolan.Socket
		err  error
	)
	return func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Socket, error) {
		once.Do(func() { all, err = list(ctx, portolan.Range{Lo: 1, Hi: portolan.MaxPort}, portolan.ProtoAny) })
		if err != nil {
			return nil, err
		}
		var out []portolan.Socket
		for _, s := range all {
			if r.Contains(portolan.Port(s.Local.Port())) && proto.Matches(s.Proto) {
				out = append(out, s)
			}
		}
		return out, nil
	}
}

// Answers answers raw (a query or a comma list) with the options' sections,
// the documents `portolan QUERY --json` prints: the MCP lookup tool's call.
func (o *Options) Answers(ctx context.Context, raw string) ([]*portolan.Answer, error) {
	qs, err := portolan.ParseQueries(raw)
	if err != nil {
		return nil, err
	}
	reg, err := o.Registry()
	if err != nil {
		return nil, err
	}
	var host *portolan.HostRanges
	if o.Host != nil {
		if h, err := o.Host(); err == nil {
			ph := portolan.HostRanges(h)
			host = &ph
		}
	}
	l := o.lookup(reg, host, len(qs) >= batchSize)
	out := make([]*portolan.Answer, 0, len(qs))
	for _, q := range qs {
		a, err := l.Answer(ctx, q)
		if err != nil {
			return nil, err
		}
		if err := a.NotFound(); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
