// Package cmdutil holds what every verb shares: the Factory that hands out
// streams and adapters lazily, exit codes, argument checks and JSON output.
package cmdutil

import (
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
)

// Factory gives verbs their dependencies. Fields are functions so a verb
// only opens what it uses (a lookup never opens the state database), and
// tests replace them with fakes.
type Factory struct {
	Version   string
	IOStreams *iostreams.IOStreams

	// Registry returns the IANA registry and curated common uses
	// (registry.Default in the binary).
	Registry func() (*registry.Registry, error)
}
