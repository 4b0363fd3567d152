package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/portolan-dev/portolan/sqlite"
)

// serve runs the library-composed lease daemon until SIGINT or SIGTERM.
func serve(addr, path string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	store, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer store.Close()
	reg, err := registry.Default()
	if err != nil {
		return err
	}
	a := lease.New(store, lease.Options{
		Assigned: reg.Assigned,
		Held: lease.CachedHeld(func(ctx context.Context) ([]portolan.Socket, error) {
			return sockets.List(ctx, sockets.Filter{All: true})
		}, time.Second),
		Host: func() (portolan.Range, []portolan.Range) {
			h, _ := registry.Host()
			return h.Ephemeral, h.Reserved
		},
	})
	if _, err := a.Reclaim(ctx); err != nil {
		return err
	}
	go a.Run(ctx)
	ln, err := lease.ListenUnix(addr)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return lease.ServePortserver(ctx, ln, a)
}
