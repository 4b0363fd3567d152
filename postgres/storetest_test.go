package postgres_test

import (
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/storetest"
)

// The shared conformance suite, against a fresh database on a real server.
func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) portolan.Store { return open(t, pgtest.New(t)) })
}
