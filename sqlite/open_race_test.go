package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/portolan-dev/portolan/sqlite"
)

// Processes (here: handles) that create the same new database at once all
// open it: the losers of the race to switch it to WAL retry instead of
// failing with "database is locked" (8 parallel `portolan free` on a fresh
// state directory lost ~1 in 20 before).
func TestConcurrentFirstOpens(t *testing.T) {
	for round := range 30 {
		path := filepath.Join(t.TempDir(), "portolan.db")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				db, err := sqlite.Open(path)
				if err != nil {
					errs <- err
					return
				}
				errs <- db.Close()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
