// Package factory builds the Factory for the real binary: it is the one place
// (with cmd/) that imports the adapters.
package factory

import (
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
)

// New returns the Factory of the portolan binary.
func New(version string) *cmdutil.Factory {
	f := &cmdutil.Factory{
		Version:   version,
		IOStreams: iostreams.System(),
		Registry:  registry.Default,
	}
	return f
}
