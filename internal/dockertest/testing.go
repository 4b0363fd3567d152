//go:build linux

package dockertest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

var shared struct {
	sync.Mutex
	engines map[Options]*Engine
	errs    map[Options]error
}

// Shared returns the engine for o that a package's tests share, starting
// it on first use; TestMain stops it with StopShared after m.Run. Without
// root or the tools it skips the test, except in CI (CI=true), where a
// missing prerequisite is a failure: CI installs them.
func Shared(t testing.TB, o Options) *Engine {
	t.Helper()
	if why := Available(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dockertest: %s", why)
		}
		t.Skipf("dockertest: %s", why)
	}
	shared.Lock()
	defer shared.Unlock()
	if e := shared.engines[o]; e != nil {
		return e
	}
	if err := shared.errs[o]; err != nil {
		t.Fatalf("dockertest: %v", err)
	}
	e, err := Start(o)
	if err != nil {
		if shared.errs == nil {
			shared.errs = map[Options]error{}
		}
		shared.errs[o] = err
		t.Fatalf("dockertest: %v", err)
	}
	if shared.engines == nil {
		shared.engines = map[Options]*Engine{}
	}
	shared.engines[o] = e
	return e
}

// StopShared closes every shared engine; call it in TestMain after m.Run.
// It reports a failed cleanup on stderr and returns false.
func StopShared() bool {
	shared.Lock()
	defer shared.Unlock()
	ok := true
	for o, e := range shared.engines {
		if err := e.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "dockertest: cleanup: %v\n", err)
			ok = false
		}
		delete(shared.engines, o)
	}
	return ok
}
