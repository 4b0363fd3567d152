// Package privcache gives a test binary a cache directory of its own, so
// what it caches (the firewall ruleset of the namespaces its tests make)
// stays out of the user's, for it and the children it starts.
package privcache

import (
	"os"
	"testing"
)

// Run points XDG_CACHE_HOME at a new temporary directory, runs the tests
// and removes the directory; TestMain exits with its result.
func Run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "portolan-cache-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_CACHE_HOME", dir)
	return m.Run()
}
