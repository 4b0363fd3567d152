package assignments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// QuerySections returns the assignments and leases sections of `portolan
// QUERY` (query.Options.Assignments and .Leases): from the server when one
// is named, else from the local store, but only when that store already
// exists, so a lookup never creates a database. A store that cannot be
// read leaves the sections empty rather than failing the lookup.
func QuerySections(f *cmdutil.Factory) (
	assigns func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Assignment, error),
	leases func(ctx context.Context) ([]portolan.Lease, error),
) {
	var once sync.Once
	var all []portolan.Assignment
	var live []portolan.Lease
	load := func(ctx context.Context) {
		once.Do(func() {
			if url, _ := f.RemoteServer(); url == "" && !localStoreExists() {
				return
			}
			// A lookup only reads: the local store opens read-only.
			rf := f
			if f.ReadOnly != nil {
				rf = f.ReadOnly()
			}
			svc, err := rf.Assignments()
			if err != nil {
				return
			}
			all, _ = svc.Assignments(ctx, portolan.AssignmentFilter{})
			// The live leases: the server's, or the local allocator's
			// (which leaves out dead owners); else what the store holds.
			if rf.LeaseService != nil {
				if ls, err := rf.LeaseService(); err == nil {
					live, _ = ls.Leases(ctx)
				}
			} else if ls, ok := svc.(portolan.LeaseService); ok {
				live, _ = ls.Leases(ctx)
			} else if local, ok := svc.(*assignment.Service); ok {
				if st, ok := local.Store.(portolan.LeaseStore); ok {
					live, _ = st.Leases(ctx)
				}
			}
		})
	}
	assigns = func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Assignment, error) {
		load(ctx)
		var out []portolan.Assignment
		for _, a := range all {
			if r.Contains(a.Port) && proto.Matches(a.Proto) {
				out = append(out, a)
			}
		}
		return out, nil
	}
	leases = func(ctx context.Context) ([]portolan.Lease, error) {
		load(ctx)
		return live, nil
	}
	return assigns, leases
}

// localStoreExists reports whether PORTOLAN_STORE names a store or the
// default SQLite file exists.
func localStoreExists() bool {
	spec := os.Getenv("PORTOLAN_STORE")
	if spec != "" {
		path, isFile := strings.CutPrefix(spec, "sqlite:")
		if !isFile && strings.Contains(spec, "://") {
			return true
		}
		_, err := os.Stat(path)
		return err == nil
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return false
		}
		base = filepath.Join(home, ".local", "state")
	}
	_, err := os.Stat(filepath.Join(base, "portolan", "portolan.db"))
	return err == nil
}
