//go:build linux

package testnet

import (
	"os"
	"testing"
)

// New creates a namespace for t and removes it when t ends, pass or fail.
// Without root or the tools it skips, except in CI (CI=true), where a
// missing prerequisite is a failure: CI installs them.
func New(t testing.TB, o Options) *NS {
	t.Helper()
	if why := Available(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testnet: %s", why)
		}
		t.Skipf("testnet: %s", why)
	}
	n, err := Create(o)
	if err != nil {
		t.Fatalf("testnet: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("testnet cleanup: %v", err)
		}
	})
	return n
}
