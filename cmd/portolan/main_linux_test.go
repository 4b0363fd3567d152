package main

import (
	"os"
	"testing"

	"github.com/portolan-dev/portolan/internal/dockertest"
)

// TestMain makes the test binary portolan itself when asked
// (PORTOLAN_TEST_AS_CLI=1), so the container tests run the real command
// inside the engine's network namespace; it stops the shared engines last.
func TestMain(m *testing.M) {
	if os.Getenv("PORTOLAN_TEST_AS_CLI") == "1" {
		os.Exit(run())
	}
	code := m.Run()
	if !dockertest.StopShared() && code == 0 {
		code = 1
	}
	os.Exit(code)
}
