package portolan

import (
	"context"
	"time"
)

// NameKey names a port the way people think of it: the service NAME of a
// checkout. Project is the checkout's repository (the main worktree's top
// level, or the directory itself outside git) and Worktree the worktree's
// own top level, so two worktrees of one repository keep distinct ports
// and each keeps its own across shells, agents and restarts.
type NameKey struct {
	Project  string `json:"project"`
	Worktree string `json:"worktree"`
	Name     string `json:"name"`
}

// NamedPort is the port that belongs to a NameKey on one host, until it is
// forgotten.
type NamedPort struct {
	NameKey
	Port    Port      `json:"port"`
	Proto   Proto     `json:"-"` // ProtoAny: checked free on TCP and UDP
	HostID  string    `json:"host_id,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// MaxNameLen bounds a port name, as a DNS label is bounded.
const MaxNameLen = 63

// CheckName reports EINVALID unless name is 1-63 letters, digits and
// hyphens: the name becomes an environment variable (PORT_WEB), a path
// segment of the API and a column in listings, so nothing else may pass.
func CheckName(name string) error {
	if name == "" {
		return Errorf(EINVALID, "empty port name: want 1-%d letters, digits and hyphens, e.g. web or api-v2", MaxNameLen)
	}
	if len(name) > MaxNameLen {
		return Errorf(EINVALID, "port name of %d bytes is too long: want 1-%d letters, digits and hyphens", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return Errorf(EINVALID, "port name %q has %q: want 1-%d letters, digits and hyphens, e.g. web or api-v2", name, rune(c), MaxNameLen)
		}
	}
	return nil
}

// NamedPortStore persists named ports. The store's unique constraints
// decide races: one port per key and one key per port on a host, so two
// processes asking for a new name at once agree on one port.
type NamedPortStore interface {
	// NamedPorts returns the named ports of host hostID, ordered by
	// project, worktree and name.
	NamedPorts(ctx context.Context, hostID string) ([]NamedPort, error)
	// InsertNamedPort stores np, setting Created; ECONFLICT when its key or
	// its port is already named on that host.
	InsertNamedPort(ctx context.Context, np *NamedPort) error
	// DeleteNamedPort forgets key on host hostID; ENOTFOUND when it is not
	// named there.
	DeleteNamedPort(ctx context.Context, hostID string, key NameKey) error
}

// NameRequest asks for the port of a name.
type NameRequest struct {
	Key NameKey
	// Prefer is taken when it qualifies (free on both families, outside
	// the ephemeral and reserved ranges, nobody's lease, assignment or
	// name); otherwise the search starts next to it. 0: no preference.
	Prefer Port
	Proto  Proto  // ProtoAny: free on TCP and UDP
	Pool   string // "user" (default), "dynamic" or "LO-HI"
	// Assigned allows IANA-assigned ports (skipped by default).
	Assigned bool
	// Unsafe allows traps (TrapsOf), even a preferred one.
	Unsafe bool
}

// NameService hands out named ports: the same port for a key on every
// call, from any process, until it is forgotten.
type NameService interface {
	// PortFor returns the port named req.Key on this host; the first call
	// picks one and stores it (created reports that).
	PortFor(ctx context.Context, req NameRequest) (np NamedPort, created bool, err error)
	// NamedPorts lists this host's named ports.
	NamedPorts(ctx context.Context) ([]NamedPort, error)
	// Forget drops key's port; ENOTFOUND when it has none.
	Forget(ctx context.Context, key NameKey) error
}

// EnvName is the environment variable of a port name: prefix and the name
// in upper case, hyphens as underscores (web → PORT_WEB, api-v2 →
// PORT_API_V2).
func EnvName(prefix, name string) string {
	b := []byte(prefix + name)
	for i := len(prefix); i < len(b); i++ {
		switch c := b[i]; {
		case c == '-':
			b[i] = '_'
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
