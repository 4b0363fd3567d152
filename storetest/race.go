package storetest

import (
	"sync"
	"testing"

	"github.com/portolan-dev/portolan"
)

// OneWins runs write(0) … write(n-1) at once (each in its own goroutine,
// released together) and fails t unless exactly one succeeds and every
// other fails with ECONFLICT: how a unique constraint must decide a race,
// in a store or through the servers in front of it. what names the race in
// the failure messages.
func OneWins(t testing.TB, what string, n int, write func(i int) error) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = write(i)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if portolan.ErrorCode(err) != portolan.ECONFLICT {
			t.Fatalf("%s: a loser got %v, want ECONFLICT", what, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%s: %d of %d concurrent writers won, want exactly 1", what, wins, n)
	}
}
