package factory

import (
	"path/filepath"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sockets"
)

// leaseService is the remote client when a server is named, else an
// allocator over the local store with the full policy: the registry's IANA
// assignments, the socket inventory, this host's ranges, and the state
// directory's lock file so concurrent CLI processes take turns.
func leaseService(f *cmdutil.Factory) (portolan.LeaseService, error) {
	c, err := RemoteClient(f)
	if err != nil {
		return nil, err
	}
	if c != nil {
		return c, nil
	}
	return localAllocator(f)
}

// localAllocator is the allocator over the local store with the full
// policy and the state directory's lock file.
func localAllocator(f *cmdutil.Factory) (*lease.Allocator, error) {
	store, err := f.Store()
	if err != nil {
		return nil, err
	}
	dir, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	opts := lease.Options{
		Held: sockets.InUse,
		Host: func() (portolan.Range, []portolan.Range) {
			h, _ := f.HostRanges()
			return h.Ephemeral, h.Reserved
		},
		Lock: lease.NewFileLock(filepath.Join(dir, "lease.lock")),
	}
	if reg, err := f.Registry(); err == nil {
		opts.Assigned = reg.Assigned
	}
	return lease.New(store, opts), nil
}
