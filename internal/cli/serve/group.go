package serve

import (
	"context"
	"sync"
)

// group runs the parts of a server: the first part to end (failing or
// not) or Stop cancels the context the others run under, and Wait returns
// when every part has returned, with the first error.
type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

func newGroup(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{cancel: cancel}, ctx
}

// Go runs f as a part of the group.
func (g *group) Go(f func() error) {
	g.wg.Go(func() {
		defer g.cancel()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err })
		}
	})
}

// Stop asks every part to end.
func (g *group) Stop() { g.cancel() }

// Wait waits for every part and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
