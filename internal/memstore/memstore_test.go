package memstore_test

import (
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/memstore"
	"github.com/portolan-dev/portolan/storetest"
)

// The fake obeys the same contract as the real stores, so consumer tests
// that use it test against the real rules.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) portolan.Store { return memstore.New() })
}
