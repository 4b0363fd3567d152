// Package factory builds the Factory for the real binary: the one place that
// chooses the stores (SQLite or PostgreSQL), the HTTP client of a remote
// server and the lease allocator behind the Factory's functions. Verbs
// still import the adapters they use directly (sockets, probe, registry,
// lease); the stores and the client they reach only through the Factory,
// so tests hand them fakes.
package factory

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/postgres"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sqlite"
)

// New returns the Factory of the portolan binary.
func New(version string) *cmdutil.Factory {
	f := &cmdutil.Factory{
		Version:   version,
		IOStreams: iostreams.System(),
		Registry:  registry.Default,
		OpenStore: OpenStore,
		StateDir:  StateDir,
	}
	f.Assignments = func() (portolan.AssignmentService, error) { return assignments(f) }
	f.Store, f.Close = closingOnce(func() (portolan.Store, error) { return f.OpenStore("") })
	f.LeaseService = func() (portolan.LeaseService, error) { return leaseService(f) }
	f.Names = func() (portolan.NameService, error) { return localAllocator(f) }
	f.ReadOnly = func() *cmdutil.Factory { return readOnly(f) }
	f.Host = sync.OnceValues(registry.Host)
	return f
}

// closingOnce returns open memoised, and a Close that closes the store open
// returned, if it was ever called.
func closingOnce(open func() (portolan.Store, error)) (store func() (portolan.Store, error), closeFn func() error) {
	var (
		mu     sync.Mutex
		opened portolan.Store
	)
	store = sync.OnceValues(func() (portolan.Store, error) {
		s, err := open()
		if err == nil {
			mu.Lock()
			opened = s
			mu.Unlock()
		}
		return s, err
	})
	closeFn = func() error {
		mu.Lock()
		s := opened
		opened = nil
		mu.Unlock()
		if s == nil {
			return nil
		}
		return s.Close()
	}
	return store, closeFn
}

// StateDir is where portolan keeps its state: $XDG_STATE_HOME/portolan, or
// ~/.local/state/portolan.
func StateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", portolan.Errorf(portolan.EINVALID, "no state directory: set XDG_STATE_HOME or HOME")
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "portolan"), nil
}

// OpenStore opens postgres://... (or postgresql://...) with the postgres
// store, and sqlite:PATH, a bare PATH or "" (PORTOLAN_STORE, else the state
// directory's portolan.db) with the SQLite store.
func OpenStore(spec string) (portolan.Store, error) {
	if spec == "" {
		spec = os.Getenv("PORTOLAN_STORE")
	}
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		timeout, err := StoreTimeout()
		if err != nil {
			return nil, err
		}
		return postgres.OpenOptions(context.Background(), spec, postgres.Options{Timeout: timeout})
	}
	if i := strings.Index(spec, "://"); i > 0 && !strings.Contains(spec[:i], "/") && !strings.HasPrefix(spec, "sqlite:") {
		// mysql://... would otherwise be opened as a SQLite file path.
		return nil, portolan.Errorf(portolan.EINVALID, "store %q is not sqlite:PATH, a file path or postgres://...", spec)
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if path == "" {
		dir, err := StateDir()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		path = filepath.Join(dir, "portolan.db")
	}
	return sqlite.Open(path)
}

// EnvStoreTimeout names the variable that bounds each PostgreSQL call.
const EnvStoreTimeout = "PORTOLAN_STORE_TIMEOUT"

// StoreTimeout returns the bound on each PostgreSQL call from
// PORTOLAN_STORE_TIMEOUT (a duration such as 5s), or 0 for the store's
// default.
func StoreTimeout() (time.Duration, error) {
	v := os.Getenv(EnvStoreTimeout)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 100*time.Millisecond || d > 10*time.Minute {
		return 0, portolan.Errorf(portolan.EINVALID, "%s=%q is not a store timeout: want a duration from 100ms to 10m, such as 5s", EnvStoreTimeout, v)
	}
	return d, nil
}

// RemoteClient returns the HTTP client of the server named by --server or
// PORTOLAN_ADDR, or nil to work locally; an address no request could reach
// is refused (exit 2). It implements portolan.LeaseService and
// portolan.AssignmentService. A server on loopback without a token gets the
// admin token this user's own `portolan serve` wrote, but only over a
// connection whose far end belongs to this user or root (Linux, where the
// socket table says so; elsewhere no token is read implicitly).
func RemoteClient(f *cmdutil.Factory) (*porthttp.Client, error) {
	url, token := f.RemoteServer()
	if url == "" {
		return nil, nil
	}
	if err := cmdutil.CheckServerURL(url); err != nil {
		return nil, err
	}
	implicit := ""
	if token == "" && runtime.GOOS == "linux" {
		if dir, err := StateDir(); err == nil && cmdutil.IsLoopbackURL(url) {
			file := filepath.Join(dir, "token")
			if b, err := os.ReadFile(file); err == nil {
				token = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
				implicit = file
			}
		}
	}
	c := porthttp.NewClient(url, token)
	if implicit != "" && token != "" {
		// Whatever listens on a loopback port may be another user's
		// process: it gets this user's admin token only if the kernel
		// says the connection's far end is ours (or root's).
		c.HTTP.Transport = ownTokenTransport(implicit, currentUID())
	}
	if u, err := user.Current(); err == nil {
		c.User = u.Username
	}
	return c, nil
}

// assignments is the remote client when a server is named, else the local
// store with the registry's conflict checks.
func assignments(f *cmdutil.Factory) (portolan.AssignmentService, error) {
	c, err := RemoteClient(f)
	if err != nil {
		return nil, err
	}
	if c != nil {
		return c, nil
	}
	store, err := f.Store()
	if err != nil {
		return nil, err
	}
	reg, err := f.Registry()
	if err != nil {
		return nil, err
	}
	host, _ := f.HostRanges()
	return assignment.New(store, reg.ByPort, host.Ephemeral, host.UnprivilegedStart), nil
}
