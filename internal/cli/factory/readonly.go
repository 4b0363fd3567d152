package factory

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/sqlite"
)

// readOnly is f for a read path: the same streams, registry, host ranges
// and server settings, with the local store opened by OpenReadStore.
func readOnly(f *cmdutil.Factory) *cmdutil.Factory {
	g := *f
	g.Store = sync.OnceValues(func() (portolan.Store, error) { return OpenReadStore("") })
	g.Assignments = func() (portolan.AssignmentService, error) { return assignments(&g) }
	g.LeaseService = func() (portolan.LeaseService, error) { return leaseService(&g) }
	g.ReadOnly = func() *cmdutil.Factory { return &g }
	return &g
}

// OpenReadStore opens the store OpenStore would, for reading: a SQLite file
// read-only, without creating it or its directory (ENOTFOUND when it does
// not exist yet). A file at an older schema goes through OpenStore, which
// migrates it once, as the first lookup after an upgrade did before.
// PostgreSQL opens as usual.
func OpenReadStore(spec string) (portolan.Store, error) {
	if spec == "" {
		spec = os.Getenv("PORTOLAN_STORE")
	}
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		return OpenStore(spec)
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if path == "" {
		dir, err := StateDir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "portolan.db")
	}
	db, err := sqlite.OpenReadOnly(path)
	if portolan.ErrorCode(err) == portolan.EUNSUPPORTED {
		return OpenStore(spec)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}
