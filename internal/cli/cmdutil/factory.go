// Package cmdutil holds what every verb shares, so no verb imports another:
// the Factory that hands out streams and services lazily, exit codes,
// argument parsers (PORT/PROTO, --proto, --range), JSON output, the
// sanitiser for text other users control, and the small text forms of
// records that several verbs print.
package cmdutil

import (
	"os"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Factory gives verbs their dependencies. Fields are functions so a verb
// only opens what it uses (a lookup opens the state database only
// read-only, and only when it exists), and tests replace them with fakes.
type Factory struct {
	Version   string
	IOStreams *iostreams.IOStreams

	// Registry returns the IANA registry and curated common uses
	// (registry.Default in the binary).
	Registry func() (*registry.Registry, error)

	// Assignments returns the organisation's port registry with its
	// conflict checks: over the local store, or over the server named by
	// --server / PORTOLAN_ADDR (the HTTP client implements the same interface).
	Assignments func() (portolan.AssignmentService, error)
	// OpenStore opens the store a spec names: "" (SQLite in the state
	// directory), sqlite:PATH, or postgres://... for a shared PostgreSQL.
	OpenStore func(spec string) (portolan.Store, error)
	// StateDir is where leases, assignments and the server's token live.
	StateDir func() (string, error)
	// Store returns the local store (PORTOLAN_STORE, else SQLite in the
	// state directory), opened once per process.
	Store func() (portolan.Store, error)
	// Close closes what Store opened, once the verb is done. SQLite
	// checkpoints its write-ahead log on the last close, so the next
	// process (a lookup's read-only open) reads the database file instead of
	// replaying the log. Nil: nothing to close.
	Close func() error
	// LeaseService grants and releases leases: the HTTP client when
	// --server / PORTOLAN_ADDR names a server, else an allocator over the
	// local store that coordinates with other processes through a lock
	// file in the state directory.
	LeaseService func() (portolan.LeaseService, error)
	// Names hands out named ports (port, ports, env, run --name): an
	// allocator over the local store, so the names of this host's
	// checkouts live beside its leases.
	Names func() (portolan.NameService, error)
	// ReadOnly returns a copy of the Factory for read paths (the sections
	// of a lookup) whose Store opens the local store read-only: nothing is
	// created, migrated, locked or written. Nil: read through the Factory
	// itself.
	ReadOnly func() *Factory
	// Host returns this host's port ranges (registry.Host when nil); the
	// binary reads them once per process.
	Host func() (registry.HostRanges, error)
	// Server and Token name a remote portolan server; AddServerFlags sets
	// them from --server/--token, which override PORTOLAN_ADDR and PORTOLAN_TOKEN.
	Server, Token string
}

// HostRanges returns this host's port ranges through f.Host, else
// registry.Host.
func (f *Factory) HostRanges() (registry.HostRanges, error) {
	if f.Host != nil {
		return f.Host()
	}
	return registry.Host()
}

// AddServerFlags adds --server and --token to a verb that can work against
// a remote portolan server.
func AddServerFlags(cmd *cobra.Command, f *Factory) {
	cmd.Flags().StringVar(&f.Server, "server", "", "portolan server URL, e.g. http://127.0.0.1:7780 (default $PORTOLAN_ADDR; unset: work locally)")
	cmd.Flags().StringVar(&f.Token, "token", "", "bearer token for --server (default $PORTOLAN_TOKEN)")
}

// RemoteServer returns the server URL and token to use, or "" to work
// locally: the flags first, then PORTOLAN_ADDR and PORTOLAN_TOKEN. An
// address without a scheme is taken as http://ADDR; a Unix socket path
// (the portserver) is not an HTTP server and means local.
func (f *Factory) RemoteServer() (url, token string) {
	url, token = f.Server, f.Token
	if url == "" {
		url = os.Getenv("PORTOLAN_ADDR")
	}
	if token == "" {
		token = os.Getenv("PORTOLAN_TOKEN")
	}
	if url = ServerURL(url); url == "" {
		return "", ""
	}
	return url, token
}

// ServerURL is a server address as a URL: http://ADDR for an address
// without a scheme, "" for none or for a Unix socket path (the
// portserver), which is not an HTTP server.
func ServerURL(addr string) string {
	switch {
	case addr == "", strings.HasPrefix(addr, "@"), strings.HasPrefix(addr, "/"), strings.HasPrefix(addr, "unix:"):
		return ""
	case !strings.Contains(addr, "://"):
		return "http://" + addr
	}
	return addr
}
